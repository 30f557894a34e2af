// The harmonised transparency reporting templates of Commission Implementing Regulation (EU)
// 2024/2835, Annex I, as the Commission publishes them in English CSV form ("4_EN_Annex_I__Templates_for_
// Transparency_Reports_CSV_Part_N_…"): every header, label and row identity below is the template's
// own text, character for character (trailing spaces and the no-break space included: published
// reports are parsed by these strings). Generated from the Commission's files; the SHA-256 of each
// file it was read from is kept beside its part. Reuse of Commission documents: Decision 2011/833/EU.
// How each figure is computed: docs/compliance-reports.md#the-dsa-harmonised-transparency-report.

export interface TemplateKeyword { label: string; description: string; code: string }
export interface TemplateCategory extends TemplateKeyword { keywords: TemplateKeyword[] }

/** Part 2 ("2_categories_names"): the 17 categories and their sub-categories, in template order. sha256 ce1f80280d31da5e7cf4b85bc8da788760991e30696658bab18995c8829efb7b */
export const categories: TemplateCategory[] = [
  { label: "Category 1", description: "Animal welfare", code: "STATEMENT_CATEGORY_ANIMAL_WELFARE", keywords: [
    { label: "Category 1a", description: "Animal harm", code: "KEYWORD_ANIMAL_HARM" },
    { label: "Category 1b", description: "Unlawful sale of animals", code: "KEYWORD_UNLAWFUL_SALE_ANIMALS" },
    { label: "Category 1c", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 2", description: "Consumer information infringements", code: "STATEMENT_CATEGORY_CONSUMER_INFORMATION", keywords: [
    { label: "Category 2a", description: "Hidden advertisement or commercial communication, including by influencers ", code: "KEYWORD_HIDDEN_ADVERTISEMENT" },
    { label: "Category 2b", description: "Insufficient information on traders ", code: "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS" },
    { label: "Category 2c", description: "Misleading information about the characteristics of the goods and services", code: "KEYWORD_MISLEADING_INFO_GOODS_SERVICES" },
    { label: "Category 2d", description: "Misleading information about the consumer’s rights ", code: "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS" },
    { label: "Category 2e", description: "Non-compliance with pricing regulations  ", code: "KEYWORD_NONCOMPLIANCE_PRICING" },
    { label: "Category 2f", description: "Not captured by any other sub-category ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 3", description: "Cyber violence", code: "STATEMENT_CATEGORY_CYBER_VIOLENCE", keywords: [
    { label: "Category 3a", description: "Cyber bullying and intimidation", code: "KEYWORD_CYBER_BULLYING_INTIMIDATION" },
    { label: "Category 3b", description: "Cyber harassment", code: "KEYWORD_CYBER_HARASSMENT" },
    { label: "Category 3c", description: "Cyber incitement to hatred or violence", code: "KEYWORD_CYBER_INCITEMENT" },
    { label: "Category 3d", description: "Cyber stalking", code: "KEYWORD_CYBER_STALKING" },
    { label: "Category 3e", description: "Non-consensual (intimate) material sharing, including (image-based) sexual abuse (excluding content depicting minors)", code: "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING" },
    { label: "Category 3f", description: "Non-consensual sharing of material containing deepfake or similar technology using a third party's features (excluding content depicting minors)", code: "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE" },
    { label: "Category 3g", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 4", description: "Cyber violence against women", code: "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN", keywords: [
    { label: "Category 4a", description: "Cyber bullying and intimidation against girls", code: "KEYWORD_BULLYING_AGAINST_GIRLS" },
    { label: "Category 4b", description: "Cyber harassment against women", code: "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN" },
    { label: "Category 4c", description: "Cyber stalking against women", code: "KEYWORD_CYBER_STALKING_AGAINST_WOMEN" },
    { label: "Category 4d", description: "Gendered disinformation", code: "KEYWORD_FEMALE_GENDERED_DISINFORMATION" },
    { label: "Category 4e", description: "Illegal incitement to violence and hatred against women", code: "KEYWORD_INCITEMENT_AGAINST_WOMEN" },
    { label: "Category 4f", description: "Non-consensual (intimate) material sharing against women, including (image-based) sexual abuse against women (excluding content depicting minors)", code: "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN" },
    { label: "Category 4g", description: "Non-consensual sharing of material containing deepfake or similar technology using a third party's features against women (excluding content depicting minors)", code: "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN" },
    { label: "Category 4h", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 5", description: "Data protection and privacy violations", code: "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", keywords: [
    { label: "Category 5a", description: "Biometric data breach", code: "KEYWORD_BIOMETRIC_DATA_BREACH" },
    { label: "Category 5b", description: "Data falsification", code: "KEYWORD_DATA_FALSIFICATION" },
    { label: "Category 5c", description: "Missing processing ground for data", code: "KEYWORD_MISSING_PROCESSING_GROUND" },
    { label: "Category 5d", description: "Right to be forgotten", code: "KEYWORD_RIGHT_TO_BE_FORGOTTEN" },
    { label: "Category 5e", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 6", description: "Illegal or harmful speech", code: "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", keywords: [
    { label: "Category 6a", description: "Defamation", code: "KEYWORD_DEFAMATION" },
    { label: "Category 6b", description: "Discrimination", code: "KEYWORD_DISCRIMINATION" },
    { label: "Category 6c", description: "Illegal incitement to violence and hatred based on protected characteristics (hate speech) ", code: "KEYWORD_HATE_SPEECH" },
    { label: "Category 6d", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 7", description: "Intellectual property infringements", code: "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", keywords: [
    { label: "Category 7a", description: "Copyright infringements", code: "KEYWORD_COPYRIGHT_INFRINGEMENT" },
    { label: "Category 7b", description: "Design infringements", code: "KEYWORD_DESIGN_INFRINGEMENT" },
    { label: "Category 7c", description: "Geographical indications infringements", code: "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT" },
    { label: "Category 7d", description: "Patent infringements", code: "KEYWORD_PATENT_INFRINGEMENT" },
    { label: "Category 7e", description: "Trade secret infringements", code: "KEYWORD_TRADE_SECRET_INFRINGEMENT" },
    { label: "Category 7f", description: "Trademark infringements", code: "KEYWORD_TRADEMARK_INFRINGEMENT" },
    { label: "Category 7g", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 8", description: "Negative effects on civic discourse or elections", code: "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", keywords: [
    { label: "Category 8a", description: "Misinformation, disinformation, foreign information manipulation and interference ", code: "KEYWORD_MISINFORMATION_DISINFORMATION" },
    { label: "Category 8b", description: "Violation of EU law relevant to civic discourse or elections ", code: "KEYWORD_VIOLATION_EU_LAW" },
    { label: "Category 8c", description: "Violation of national law relevant to civic discourse or elections ", code: "KEYWORD_VIOLATION_NATIONAL_LAW" },
    { label: "Category 8d", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 9", description: "Protection of minors ", code: "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", keywords: [
    { label: "Category 9a", description: "Age-specific restrictions concerning minors", code: "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS" },
    { label: "Category 9b", description: "Child sexual abuse material", code: "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL" },
    { label: "Category 9c", description: "Child sexual abuse material containing deepfake or similar technology", code: "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE" },
    { label: "Category 9d", description: "Grooming/sexual enticement of minors ", code: "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS" },
    { label: "Category 9e", description: "Unsafe challenges", code: "KEYWORD_UNSAFE_CHALLENGES" },
    { label: "Category 9f", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 10", description: "Risk for public security ", code: "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", keywords: [
    { label: "Category 10a", description: "Illegal organizations", code: "KEYWORD_ILLEGAL_ORGANIZATIONS" },
    { label: "Category 10b", description: "Risk for environmental damage", code: "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE" },
    { label: "Category 10c", description: "Risk for public health", code: "KEYWORD_RISK_PUBLIC_HEALTH" },
    { label: "Category 10d", description: "Terrorist content", code: "KEYWORD_TERRORIST_CONTENT" },
    { label: "Category 10e", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 11", description: "Scams and/or fraud ", code: "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", keywords: [
    { label: "Category 11a", description: "Impersonation or account hijacking", code: "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING" },
    { label: "Category 11b", description: "Inauthentic accounts", code: "KEYWORD_INAUTHENTIC_ACCOUNTS" },
    { label: "Category 11c", description: "Inauthentic listings", code: "KEYWORD_INAUTHENTIC_LISTINGS" },
    { label: "Category 11d", description: "Inauthentic user reviews", code: "KEYWORD_INAUTHENTIC_USER_REVIEWS" },
    { label: "Category 11e", description: "Phishing", code: "KEYWORD_PHISHING" },
    { label: "Category 11f", description: "Pyramid schemes", code: "KEYWORD_PYRAMID_SCHEMES" },
    { label: "Category 11g", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 12", description: "Self-harm", code: "STATEMENT_CATEGORY_SELF_HARM", keywords: [
    { label: "Category 12a", description: "Content promoting eating disorders", code: "KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS" },
    { label: "Category 12b", description: "Self-mutilation", code: "KEYWORD_SELF_MUTILATION" },
    { label: "Category 12c", description: "Suicide", code: "KEYWORD_SUICIDE" },
    { label: "Category 12d", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 13", description: "Unsafe, non-compliant or prohibited products ", code: "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", keywords: [
    { label: "Category 13a", description: "Prohibited or restricted products", code: "KEYWORD_PROHIBITED_PRODUCTS" },
    { label: "Category 13b", description: "Unsafe or non-compliant products", code: "KEYWORD_UNSAFE_PRODUCTS" },
    { label: "Category 13c", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 14", description: "Violence ", code: "STATEMENT_CATEGORY_VIOLENCE", keywords: [
    { label: "Category 14a", description: "Coordinated harm", code: "KEYWORD_COORDINATED_HARM" },
    { label: "Category 14b", description: "General calls or incitement to violence and/or hatred", code: "KEYWORD_INCITEMENT_VIOLENCE_HATRED" },
    { label: "Category 14c", description: "Human exploitation", code: "KEYWORD_HUMAN_EXPLOITATION" },
    { label: "Category 14d", description: "Human trafficking", code: "KEYWORD_HUMAN_TRAFFICKING" },
    { label: "Category 14e", description: "Trafficking in women and girls", code: "KEYWORD_TRAFFICKING_WOMEN_GIRLS" },
    { label: "Category 14f", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 15", description: "Other violation of provider’s terms and conditions", code: "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", keywords: [
    { label: "Category 15a", description: "Adult sexual material", code: "KEYWORD_ADULT_SEXUAL_MATERIAL" },
    { label: "Category 15b", description: "Age-specific restrictions", code: "KEYWORD_AGE_SPECIFIC_RESTRICTIONS" },
    { label: "Category 15c", description: "Geographical requirements", code: "KEYWORD_GEOGRAPHICAL_REQUIREMENTS" },
    { label: "Category 15d", description: "Goods/services not permitted to be offered on the platform", code: "KEYWORD_GOODS_SERVICES_NOT_PERMITTED" },
    { label: "Category 15e", description: "Language requirements", code: "KEYWORD_LANGUAGE_REQUIREMENTS" },
    { label: "Category 15f", description: "Nudity", code: "KEYWORD_NUDITY" },
    { label: "Category 15g", description: "Not captured by any other sub-category  ", code: "KEYWORD_OTHER" },
  ] },
  { label: "Category 16", description: "Type of illegal content not specified by the public authority", code: "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER", keywords: [
  ] },
  { label: "Category 17", description: "Type of alleged illegal content not specified by the notifier", code: "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE", keywords: [
  ] },
];
export const categoriesHeader = ["Category label", "Category description", "Category of illegal content / incompatible with the terms and conditions", "Contextual information"];
export const categoriesTotalRow = ["TOTAL", "All the entries", "TOTAL", ""];

export interface TemplatePart { part: number; file: string; sha256: string; header: string[] }

export const identificationPart: TemplatePart = { part: 1, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_1_summary.csv", sha256: "355166db774836d59ac3d91994680bcd9821e2c0e1557322b5f3e8f4007a82cd", header: ["Applicability", "Service", "Indicator", "Value"] };
export const categoryNamesPart: TemplatePart = { part: 2, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_2_categories_names.csv", sha256: "ce1f80280d31da5e7cf4b85bc8da788760991e30696658bab18995c8829efb7b", header: ["Category label", "Category description", "Category of illegal content / incompatible with the terms and conditions", "Contextual information"] };
export const ordersPart: TemplatePart = { part: 3, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_3_member_states_orders.csv", sha256: "1c4f6d84ac0cea4b306eb05451bc7477bb94ac0e68b672152628b5ae3524245b", header: ["Applicability", "Service", "Reporting period", "Category of illegal content", "Description of the sub-category \"Other\"", "Scope", "Number of orders to act against illegal content received", "Number of specific items of information included in the total number of orders to act against illegal content", "Median time to inform the authority of the receipt of the order to act against illegal content", "Median time to give effect to the order to act against illegal content", "Number of orders to provide information", "Median time to inform the authority of the receipt of the order to provide information", "Median time to give effect to the order to provide information", "Contextual information on number of orders to act against illegal content received", "Contextual information on number of specific items of information included in the total number of orders to act against illegal content", "Contextual information on Median time to inform the authority of the receipt of the order to act against illegal content", "Contextual information on Median time to give effect to the order to act against illegal content", "Contextual information on Number of orders to provide information", "Contextual information on Median time to inform the authority of the receipt of the order to provide information", "Contextual information on Median time to give effect to the order to provide information"] };
export const noticesPart: TemplatePart = { part: 4, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_4_notices.csv", sha256: "c9d8986a04c01a6ae4b84583f3479323eceb884489608474c7d0976fb20eb9e6", header: ["Applicability", "Service", "Reporting period", "Category of illegal content", "Description of the sub-category \"Other\"", "Number of notices received ", "Number of notices received from Trusted flaggers", "Number of specific items of information included in the total number of notices", "Number of specific items of information included in the total number of notices by Trusted Flaggers (Trusted Flagger notices)", "Median time to take action", "Median time to take action (Trusted Flagger notices)", "Number of actions taken on the basis of the law", "Number of actions taken on the basis of the law (Trusted Flagger notices)", "Number of actions taken on the basis of the terms and conditions of the service", "Number of actions taken on the basis of the terms and conditions of the service (Trusted Flagger notices)", "Contextual information on Number of notices received ", "Contextual information on Number of notices received from Trusted flaggers", "Contextual information on Number of specific items of information included in the total number of notices", "Contextual information on Number of specific items of information included in the total number of notices by Trusted Flaggers (Trusted Flagger notices)", "Contextual information on Median time to take action", "Contextual information on Median time to take action (Trusted Flagger notices)", "Contextual information on Number of actions taken on the basis of the law", "Contextual information on Number of actions taken on the basis of the law (Trusted Flagger notices)", "Contextual information on Number of actions taken on the basis of the terms and conditions of the service", "Contextual information on Number of actions taken on the basis of the terms and conditions of the service (Trusted Flagger notices)"] };
export const ownInitiativeIllegalPart: TemplatePart = { part: 5, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_5_own_initiative_illegal.csv", sha256: "8dc7082e0bfefcbde67323d500a00c65029a85e4a2094e50cba72d4c29767df2", header: ["Applicability", "Service", "Reporting period", "Category of illegal content", "Description of the sub-category \"Other\"", "Number of measures taken at the provider's own initiative ", "Number of measures taken after detection with solely automated means ", "Visibility restriction Removal", "Visibility restriction Disable", "Visibility restriction Demoted", "Visibility restriction Age restricted", "Visibility restriction Interaction restricted", "Visibility restriction Labelled ", "Visibility restriction Other", "Monetary restriction Suspension", "Monetary restriction Termination", "Monetary restriction Other", "Provision of the service Suspension", "Provision of the service Termination", "Account restriction Suspension", "Account restriction Termination", "Contextual Information on Number of measures taken at the provider's own initiative ", "Contextual Information on Number of measures taken after detection with solely automated means ", "Contextual Information on Visibility restriction Removal", "Contextual Information on Visibility restriction Disable", "Contextual Information on Visibility restriction Demoted", "Contextual Information on Visibility restriction Age restricted", "Contextual Information on Visibility restriction Interaction restricted", "Contextual Information on Visibility restriction Labelled ", "Contextual Information on Visibility restriction Other", "Contextual Information on Monetary restriction Suspension", "Contextual Information on Monetary restriction Termination", "Contextual Information on Monetary restriction Other", "Contextual Information on Provision of the service Suspension", "Contextual Information on Provision of the service Termination", "Contextual Information on Account restriction Suspension", "Contextual Information on Account restriction Termination"] };
export const ownInitiativeTermsAndConditionsPart: TemplatePart = { part: 6, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_6_own_initiative_TC.csv", sha256: "423dc6c8bc62109b6efeb94f188066b30cac94227ed8a33beeeac3c25e7c3011", header: ["Applicability", "Service", "Reporting period", "Category of incompatibility with the provider's terms and conditions", "Description of the sub-category \"Other\"", "Number of measures taken at the provider's own initiative ", "Number of measures taken after detection with solely automated means ", "Visibility restriction Removal", "Visibility restriction Disable", "Visibility restriction Demoted", "Visibility restriction Age restricted", "Visibility restriction Interaction restricted", "Visibility restriction Labelled ", "Visibility restriction Other", "Monetary restriction Suspension", "Monetary restriction Termination", "Monetary restriction Other", "Provision of the service Suspension", "Provision of the service Termination", "Account restriction Suspension", "Account restriction Termination", "Contextual Information on Number of measures taken at the provider's own initiative ", "Contextual Information on Number of measures taken after detection with solely automated means ", "Contextual Information on Visibility restriction Removal", "Contextual Information on Visibility restriction Disable", "Contextual Information on Visibility restriction Demoted", "Contextual Information on Visibility restriction Age restricted", "Contextual Information on Visibility restriction Interaction restricted", "Contextual Information on Visibility restriction Labelled ", "Contextual Information on Visibility restriction Other", "Contextual Information on Monetary restriction Suspension", "Contextual Information on Monetary restriction Termination", "Contextual Information on Monetary restriction Other", "Contextual Information on Provision of the service Suspension", "Contextual Information on Provision of the service Termination", "Contextual Information on Account restriction Suspension", "Contextual Information on Account restriction Termination"] };
export const complaintsPart: TemplatePart = { part: 7, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_7_appeals_and_recidivism.csv", sha256: "c355cf9369a115fa51f9c9626cc7917bc24b48db7d6dc6cff3028c81de388aad", header: ["Applicability", "Service", "Reporting period", "Section", "Indicator", "Scope", "Value", "Contextual Information"] };
export const automatedMeansPart: TemplatePart = { part: 8, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_8_automated_means.csv", sha256: "1a687f468468b25b214f505c4a6cb906d6ee8cc80d20f5a60eca383cc1bea71d", header: ["Applicability", "Service", "Reporting period", "Section", "Indicator", "Scope", "Value", "Contextual Information"] };
export const humanResourcesPart: TemplatePart = { part: 9, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_9_human_resources.csv", sha256: "2393d48b65e94d86f769d5cb8e1017ad2516ca0883f7f10b0eabad1bf143cb84", header: ["Applicability", "Service", "Reporting period", "Section", "Indicator", "Scope", "Value", "Contextual information"] };
export const activeRecipientsPart: TemplatePart = { part: 10, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_10_AMAR.csv", sha256: "cea923187f8eea0ad82c8f562ce3cfcdbd371e64908cb4c6acbfeaf2baf04a75", header: ["Applicability", "Service", "Reporting period", "Section", "Indicator", "Scope", "Value"] };
export const qualitativePart: TemplatePart = { part: 11, file: "4_EN_Annex_I__Templates_for_Transparency_Reports_CSV_Part_11_qualitative.csv", sha256: "d09603b7b1ec2874595501cd41ace0a02c6ce04a1ba8cbe47fce38849f53020a", header: ["Applicability", "Service", "Reporting period", "Indicator", "Value"] };

/** Part 3: the Applicability of its rows, and the categories it lists (each followed by its sub-categories, after a TOTAL row). */
export const ordersApplicability = "All";
export const ordersCategories: string[] = ["STATEMENT_CATEGORY_ANIMAL_WELFARE", "STATEMENT_CATEGORY_CONSUMER_INFORMATION", "STATEMENT_CATEGORY_CYBER_VIOLENCE", "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN", "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_SELF_HARM", "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "STATEMENT_CATEGORY_VIOLENCE", "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER"];
/** Part 4: the Applicability of its rows, and the categories it lists (each followed by its sub-categories, after a TOTAL row). */
export const noticesApplicability = "Only for providers of hosting services, including online platforms";
export const noticesCategories: string[] = ["STATEMENT_CATEGORY_ANIMAL_WELFARE", "STATEMENT_CATEGORY_CONSUMER_INFORMATION", "STATEMENT_CATEGORY_CYBER_VIOLENCE", "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN", "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_SELF_HARM", "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "STATEMENT_CATEGORY_VIOLENCE", "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"];
/** Part 5: the Applicability of its rows, and the categories it lists (each followed by its sub-categories, after a TOTAL row). */
export const ownInitiativeIllegalApplicability = "All";
export const ownInitiativeIllegalCategories: string[] = ["STATEMENT_CATEGORY_ANIMAL_WELFARE", "STATEMENT_CATEGORY_CONSUMER_INFORMATION", "STATEMENT_CATEGORY_CYBER_VIOLENCE", "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN", "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_SELF_HARM", "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "STATEMENT_CATEGORY_VIOLENCE"];
/** Part 6: the Applicability of its rows, and the categories it lists (each followed by its sub-categories, after a TOTAL row). */
export const ownInitiativeTermsAndConditionsApplicability = "All";
export const ownInitiativeTermsAndConditionsCategories: string[] = ["STATEMENT_CATEGORY_ANIMAL_WELFARE", "STATEMENT_CATEGORY_CONSUMER_INFORMATION", "STATEMENT_CATEGORY_CYBER_VIOLENCE", "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN", "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_SELF_HARM", "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "STATEMENT_CATEGORY_VIOLENCE", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"];

/** Part 1: its rows as the template lists them. */
export const identificationRows: string[][] = [
  ["All", "", "Name of the service provider", "Text"],
  ["All", "", "Date of the publication of the report", "YYYY-MM-DD"],
  ["All", "", "Date of the publication of the latest previous report", "YYYY-MM-DD"],
  ["All", "", "Starting date of reporting period", "YYYY-MM-DD"],
  ["All", "", "Ending date of reporting period", "YYYY-MM-DD"],
];
/** Part 7: its rows as the template lists them. */
export const complaintsRows: string[][] = [
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Number of complaints submitted to the internal-complaints mechanism", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Number of complaints submitted to the internal-complaints mechanism", "Decisions upheld", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Number of complaints submitted to the internal-complaints mechanism", "Decisions partially reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Number of complaints submitted to the internal-complaints mechanism", "Decisions reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Number of complaints submitted to the internal-complaints mechanism", "Median time", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Number of complaints submitted to the internal-complaints mechanism", "Decision omitted", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Number of restrictions newly imposed as a result of an internal complaint", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to remove or disable access to or restrict visibility of information", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to remove or disable access to or restrict visibility of information", "Decisions upheld", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to remove or disable access to or restrict visibility of information", "Decisions partially reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to remove or disable access to or restrict visibility of information", "Decisions reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to remove or disable access to or restrict visibility of information", "Median time", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate the provision of the service", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate the provision of the service", "Decisions upheld", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate the provision of the service", "Decisions partially reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate the provision of the service", "Decisions reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate the provision of the service", "Median time", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate an account ", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate an account ", "Decisions upheld", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate an account ", "Decisions partially reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate an account ", "Decisions reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to suspend or terminate an account ", "Median time", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to restrict the ability to monetise information", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to restrict the ability to monetise information", "Decisions upheld", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to restrict the ability to monetise information", "Decisions partially reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to restrict the ability to monetise information", "Decisions reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision to restrict the ability to monetise information", "Median time", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted in accordance with Article 16", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted in accordance with Article 16", "Decisions upheld", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted in accordance with Article 16", "Decisions partially reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted in accordance with Article 16", "Decisions reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted in accordance with Article 16", "Median time", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted by a Trusted Flagger in accordance with Article 16", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted by a Trusted Flagger in accordance with Article 16", "Decisions upheld", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted by a Trusted Flagger in accordance with Article 16", "Decisions partially reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted by a Trusted Flagger in accordance with Article 16", "Decisions reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Internal complaints mechanism", "Complaint regarding a decision not to take action on a notice submitted by a Trusted Flagger in accordance with Article 16", "Median time", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Out-of-court dispute settlement bodies", "Number of disputes submitted to out-of-court dispute settlement bodies", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Out-of-court dispute settlement bodies", "Number of disputes submitted to out-of-court dispute settlement bodies", "Decisions upheld", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Out-of-court dispute settlement bodies", "Number of disputes submitted to out-of-court dispute settlement bodies", "Decisions partially reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Out-of-court dispute settlement bodies", "Number of disputes submitted to out-of-court dispute settlement bodies", "Decisions reversed", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Out-of-court dispute settlement bodies", "Number of disputes submitted to out-of-court dispute settlement bodies", "Median time", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Out-of-court dispute settlement bodies", "Number of disputes submitted to out-of-court dispute settlement bodies", "Decision omitted", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Out-of-court dispute settlement bodies", "Number of disputes submitted to out-of-court dispute settlement bodies", "Percentage of outcomes implemented", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Suspensions imposed on repeated offenders", "Number of suspensions enacted for the provision of manifestly illegal content ", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Suspensions imposed on repeated offenders", "Number of suspensions enacted for the provision of manifestly unfounded notices", "Total number", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Suspensions imposed on repeated offenders", "Number of suspensions enacted for the provision of manifestly unfounded complaints", "Total number", "", ""],
];
/** Part 8: its rows as the template lists them. */
export const automatedMeansRows: string[][] = [
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures solely taken by automated means ", "Total number", "", ""],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures not taken by automated means", "Total number", "", ""],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Accuracy", "Total number", "", ""],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Precision", "Total number", "", ""],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Recall", "Total number", "", ""],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures solely taken by automated means ", "Own-initiative ", "", ""],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures not taken by automated means", "Own-initiative ", "", ""],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Accuracy", "Own-initiative ", "", ""],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Precision", "Own-initiative ", "", ""],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Recall", "Own-initiative ", "", ""],
  ["Only for providers of hosting services, including online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of notices solely processed by automated means ", "NAM Total", "", ""],
  ["Only for providers of hosting services, including online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of notices not processed by automated means", "NAM Total", "", ""],
  ["Only for providers of hosting services, including online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Accuracy", "NAM Total", "", ""],
  ["Only for providers of hosting services, including online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Precision", "NAM Total", "", ""],
  ["Only for providers of hosting services, including online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Recall", "NAM Total", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of notices solely processed by automated means ", "NAM Trusted Flagger", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of notices not processed by automated means", "NAM Trusted Flagger", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Accuracy", "NAM Trusted Flagger", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Precision", "NAM Trusted Flagger", "", ""],
  ["Only for providers of online platforms", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Recall", "NAM Trusted Flagger", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures solely taken by automated means ", "bg", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures solely taken by automated means ", "[...]", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures solely taken by automated means ", "sv", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures not taken by automated means", "bg", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures not taken by automated means", "[...]", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Number of measures not taken by automated means", "sv", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Accuracy", "bg", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Precision", "[...]", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Recall", "sv", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Accuracy", "bg", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Precision", "[...]", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Recall", "sv", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Accuracy", "bg", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Precision", "[...]", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Use of automated means for content moderation", "Accuracy of the automated means - Recall", "sv", "", ""],
];
/** Part 9: its rows as the template lists them. */
export const humanResourcesRows: string[][] = [
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Human resources dedicated to content moderation ", "Number of internal moderators employed by the provider", "Total number", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Human resources dedicated to content moderation ", "Number of external moderators contracted by the provider", "Total number", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Human resources dedicated to content moderation ", "Number of total moderators with sufficient linguistic expertise ", "Total number", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Human resources dedicated to content moderation ", "Number of total moderators with sufficient linguistic expertise ", "bg", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Human resources dedicated to content moderation ", "Number of total moderators with sufficient linguistic expertise ", "[...]", "", ""],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Human resources dedicated to content moderation ", "Number of total moderators with sufficient linguistic expertise ", "sv", "", ""],
];
/** Part 10: its rows as the template lists them. */
export const activeRecipientsRows: string[][] = [
  ["Only for VLOPs and VLOSEs", "", "YYYY-MM-DD/YYYY-MM-DD", "AMAR", "Number of average monthly active recipients during the reporting period ", "TOTAL", ""],
  ["Only for VLOPs and VLOSEs", "", "YYYY-MM-DD/YYYY-MM-DD", "AMAR", "Number of average monthly active recipients during the reporting period ", "AT", ""],
  ["Only for VLOPs and VLOSEs", "", "YYYY-MM-DD/YYYY-MM-DD", "AMAR", "Number of average monthly active recipients during the reporting period ", "[...]", ""],
  ["Only for VLOPs and VLOSEs", "", "YYYY-MM-DD/YYYY-MM-DD", "AMAR", "Number of average monthly active recipients during the reporting period ", "SE", ""],
];
/** Part 11: its rows as the template lists them. */
export const qualitativeRows: string[][] = [
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Summary of the content moderation engaged in at the providers’ own initiative", "Free text"],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Meaningful and comprehensible information regarding content moderation engaged in at the providers' own initiative", "Free text"],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Qualitative description of the automated means", "Free text"],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Qualitative description of indicators of accuracy and possible rate of error of automated means", "Free text"],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Specification of the precise purposes to apply automated means", "Free text"],
  ["All", "", "YYYY-MM-DD/YYYY-MM-DD", "Safeguards applied to the use of automated means", "Free text"],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "High-level description of the content moderation governance structure", "Free text"],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Qualifications of the human resources dedicated to content moderation", "Free text"],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Training given to human resources dedicated to content moderation", "Free text"],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Support given to human resources dedicated to content moderation ", "Free text"],
  ["Only for VLOPs", "", "YYYY-MM-DD/YYYY-MM-DD", "Methodology used to compute the number of human resources dedicated to content moderation  ", "Free text"],
];
