// From the trail's facts (transparency.dsa_report_facts: one row per fact shape, with its count) to
// the quantitative template's cells. Pure: the same facts always give the same report, which the
// property test checks against counting events one by one. docs/compliance-reports.md says how
// each cell is counted and which are left to the operator.
import { automatedMeansRows, complaintsRows } from "./template.ts";
import { keywordsOf, memberStates } from "./vocabulary.ts";

export interface Fact {
  kind: string;
  category: string | null;
  keyword: string | null;
  scope: string;
  dimension: string;
  seconds: number | null;
  events: number;
  items: number | null;
}

/** Counts, item sums and durations of one cell; the median is taken when the cell is read. */
export class Cell {
  events = 0;
  items = 0;
  private durations = new Map<number, number>();

  add(fact: Fact) {
    this.events += fact.events;
    this.items += fact.items ?? 0;
    if (fact.seconds !== null) this.durations.set(fact.seconds, (this.durations.get(fact.seconds) ?? 0) + fact.events);
  }

  /** The median duration in hours, to two decimals; null when nothing was timed. */
  medianHours(): number | null {
    const values = [...this.durations.entries()].sort((a, b) => a[0] - b[0]);
    const count = values.reduce((n, [, c]) => n + c, 0);
    if (count === 0) return null;
    const at = (position: number) => {
      let seen = 0;
      for (const [seconds, c] of values) {
        seen += c;
        if (seen >= position) return seconds;
      }
      return values[values.length - 1][0];
    };
    const middle = count % 2 === 1 ? at((count + 1) / 2) : (at(count / 2) + at(count / 2 + 1)) / 2;
    return Math.round((middle / 3600) * 100) / 100;
  }
}

/** Cells by key, created on first use. */
class Cells {
  private cells = new Map<string, Cell>();
  add(key: string, fact: Fact) {
    let cell = this.cells.get(key);
    if (!cell) this.cells.set(key, cell = new Cell());
    cell.add(fact);
  }
  get(key: string): Cell {
    return this.cells.get(key) ?? new Cell();
  }
}

/**
 * The template rows a fact counts in: TOTAL, its category's row and its sub-category's row (a
 * sub-category not of that category, or none, leaves the sub-category rows alone).
 */
export function rowKeys(category: string | null, keyword: string | null): string[] {
  if (!category) return ["TOTAL"];
  if (keyword && keywordsOf.get(category)?.has(keyword)) return ["TOTAL", category, `${category}/${keyword}`];
  return ["TOTAL", category];
}

/** decision facts' dimension: source:ground:action:automation (see 20261207003000_dsa_facts.sql). */
export function decisionShape(dimension: string) {
  const [source, ground, action, automation] = dimension.split(":");
  return { source, ground, action, automation, restrictive: action !== "no_action" && action !== "?" };
}

/** The template's restriction-type columns (parts 5 and 6) and the decision actions counted in each. */
export const restrictionColumns: Array<[string, string | null]> = [
  ["Visibility restriction Removal", "content_removed"],
  ["Visibility restriction Disable", "content_disabled"],
  ["Visibility restriction Demoted", "content_demoted"],
  ["Visibility restriction Age restricted", "content_age_restricted"],
  ["Visibility restriction Interaction restricted", "content_interaction_restricted"],
  ["Visibility restriction Labelled ", "content_labelled"],
  ["Visibility restriction Other", null],
  ["Monetary restriction Suspension", "monetary_suspended"],
  ["Monetary restriction Termination", "monetary_terminated"],
  ["Monetary restriction Other", null],
  ["Provision of the service Suspension", "service_suspended"],
  ["Provision of the service Termination", "service_terminated"],
  ["Account restriction Suspension", "account_suspended"],
  ["Account restriction Termination", "account_terminated"],
];

/** What the facts say, cell by cell, before any template layout. */
export interface Figures {
  orders: Cells;
  orderScopes: string[];
  notices: Cells;
  ownInitiative: { law: Cells; tc: Cells };
  complaints: Cells;
  disputes: Cells;
  suspensions: Cells;
  automation: Cells;
  /** Events the report counts but cannot place in some part, by reason (docs: data quality). */
  unplaced: Record<string, number>;
}

export function tallyFacts(facts: Fact[]): Figures {
  const figures: Figures = {
    orders: new Cells(), orderScopes: [], notices: new Cells(), ownInitiative: { law: new Cells(), tc: new Cells() },
    complaints: new Cells(), disputes: new Cells(), suspensions: new Cells(), automation: new Cells(), unplaced: {},
  };
  const unplaced = (reason: string, n: number) => (figures.unplaced[reason] = (figures.unplaced[reason] ?? 0) + n);
  const scopes = new Set<string>();
  for (const fact of facts) {
    const rows = rowKeys(fact.category, fact.keyword);
    switch (fact.kind) {
      case "order":
      case "order_inform":
      case "order_effect": {
        if (fact.dimension === "?") {
          unplaced("orders without an order_type", fact.events);
          break;
        }
        const places = fact.scope ? ["TOTAL", fact.scope] : ["TOTAL"];
        if (fact.scope) scopes.add(fact.scope);
        else if (fact.kind === "order") unplaced("orders without a member_state (counted in TOTAL only)", fact.events);
        for (const scope of places) for (const row of rows) figures.orders.add(`${fact.kind}|${fact.dimension}|${scope}|${row}`, fact);
        break;
      }
      case "notice":
        for (const row of rows) {
          figures.notices.add(`received|${row}`, fact);
          if (fact.dimension === "trusted") figures.notices.add(`received_tf|${row}`, fact);
        }
        break;
      case "decision": {
        const d = decisionShape(fact.dimension);
        if (d.source === "notice" || d.source === "notice_tf") {
          // Part 8's notices processed (any decision on a notice) ...
          figures.automation.add(`notices|${d.automation}|total`, fact);
          if (d.source === "notice_tf") figures.automation.add(`notices|${d.automation}|tf`, fact);
          // ... and part 4's actions, by their ground, with the time taken.
          if (d.restrictive) {
            if (d.ground === "?") unplaced("decisions on notices without a decision_ground", fact.events);
            if (!fact.category) unplaced("decisions on notices without a category (counted in TOTAL only)", fact.events);
            for (const row of rows) {
              if (d.ground !== "?") figures.notices.add(`action_${d.ground}|${row}`, fact);
              if (d.ground !== "?" && d.source === "notice_tf") figures.notices.add(`action_${d.ground}_tf|${row}`, fact);
              if (fact.seconds !== null) figures.notices.add(`time|${row}`, fact);
              if (fact.seconds !== null && d.source === "notice_tf") figures.notices.add(`time_tf|${row}`, fact);
            }
          }
        } else if (d.source === "own" && d.restrictive) {
          if (d.ground === "law" || d.ground === "tc") {
            if (!fact.category) unplaced("own-initiative measures without a category (counted in TOTAL only)", fact.events);
            for (const row of rows) {
              const part = figures.ownInitiative[d.ground];
              part.add(`measures|${row}`, fact);
              if (d.automation === "fully") part.add(`automated|${row}`, fact);
              part.add(`action:${d.action}|${row}`, fact);
            }
          } else unplaced("own-initiative measures without a decision_ground", fact.events);
        } else if (d.source === "?" && d.restrictive) unplaced("measures without a source_type, notice_id or order_id", fact.events);
        if (d.restrictive) {
          figures.automation.add(`measures|${d.automation}|total`, fact);
          if (d.source === "own") figures.automation.add(`measures|${d.automation}|own`, fact);
          if (d.automation === "?") unplaced("measures without automated_decision", fact.events);
        }
        break;
      }
      case "complaint":
        figures.complaints.add("received|all", fact);
        figures.complaints.add(`received|${fact.dimension}`, fact);
        if (fact.dimension === "?") unplaced("complaints without a basis (counted in the total only)", fact.events);
        break;
      case "complaint_decision": {
        const [basis, outcome, imposed] = fact.dimension.split(":");
        for (const place of ["all", basis]) {
          figures.complaints.add(`${outcome}|${place}`, fact);
          if (fact.seconds !== null) figures.complaints.add(`time|${place}`, fact);
        }
        if (imposed === "imposed") figures.complaints.add("imposed|all", fact);
        break;
      }
      case "dispute":
        figures.disputes.add("submitted", fact);
        break;
      case "dispute_decision": {
        const [outcome, implemented] = fact.dimension.split(":");
        figures.disputes.add(outcome, fact);
        if (fact.seconds !== null) figures.disputes.add("time", fact);
        if (outcome === "reversed" || outcome === "partially_reversed") {
          figures.disputes.add("implementable", fact);
          if (implemented === "implemented") figures.disputes.add("implemented", fact);
        }
        break;
      }
      case "suspension":
        figures.suspensions.add(fact.dimension, fact);
        if (fact.dimension === "?") unplaced("suspensions without a reason", fact.events);
        break;
    }
  }
  figures.orderScopes = memberStates.filter((s) => scopes.has(s));
  return figures;
}

const count = (cell: Cell) => cell.events;
const median = (cell: Cell) => cell.medianHours();

/** The value of each row of part 7 (complaints, disputes, suspensions), by indicator and scope. */
export function complaintValues(f: Figures): Array<number | null> {
  const basisOf: Record<string, string> = {
    "Complaint regarding a decision to remove or disable access to or restrict visibility of information": "visibility",
    "Complaint regarding a decision to suspend or terminate the provision of the service": "provision",
    "Complaint regarding a decision to suspend or terminate an account ": "account",
    "Complaint regarding a decision to restrict the ability to monetise information": "monetisation",
    "Complaint regarding a decision not to take action on a notice submitted in accordance with Article 16": "notice_not_actioned",
    "Complaint regarding a decision not to take action on a notice submitted by a Trusted Flagger in accordance with Article 16": "trusted_flagger_notice_not_actioned",
  };
  const outcomeOf: Record<string, string> = {
    "Decisions upheld": "upheld", "Decisions partially reversed": "modified", "Decisions reversed": "reversed", "Decision omitted": "omitted",
  };
  const disputeOutcomeOf: Record<string, string> = {
    "Decisions upheld": "upheld", "Decisions partially reversed": "partially_reversed", "Decisions reversed": "reversed", "Decision omitted": "omitted",
  };
  const suspensionOf: Record<string, string> = {
    "Number of suspensions enacted for the provision of manifestly illegal content ": "manifestly_illegal_content",
    "Number of suspensions enacted for the provision of manifestly unfounded notices": "manifestly_unfounded_notices",
    "Number of suspensions enacted for the provision of manifestly unfounded complaints": "manifestly_unfounded_complaints",
  };
  return complaintsRows.map(([, , , section, indicator, scope]) => {
    if (section === "Internal complaints mechanism") {
      if (indicator === "Number of restrictions newly imposed as a result of an internal complaint") return count(f.complaints.get("imposed|all"));
      const place = indicator === "Number of complaints submitted to the internal-complaints mechanism" ? "all" : basisOf[indicator];
      if (scope === "Total number") return count(f.complaints.get(`received|${place}`));
      if (scope === "Median time") return median(f.complaints.get(`time|${place}`));
      return count(f.complaints.get(`${outcomeOf[scope]}|${place}`));
    }
    if (section === "Out-of-court dispute settlement bodies") {
      if (scope === "Total number") return count(f.disputes.get("submitted"));
      if (scope === "Median time") return median(f.disputes.get("time"));
      if (scope === "Percentage of outcomes implemented") {
        const implementable = count(f.disputes.get("implementable"));
        return implementable === 0 ? null : Math.round((count(f.disputes.get("implemented")) / implementable) * 10_000) / 10_000;
      }
      return count(f.disputes.get(disputeOutcomeOf[scope]));
    }
    return count(f.suspensions.get(suspensionOf[indicator]));
  });
}

/**
 * The value of each row of part 8 the trail can fill (measures and notices, solely or not by
 * automated means; partly automated counts as not solely). Accuracy rows and the VLOP language
 * rows are the operator's: undefined.
 */
export function automationValues(f: Figures): Array<number | undefined> {
  const scopeOf: Record<string, string> = { "Total number": "measures|total", "Own-initiative ": "measures|own", "NAM Total": "notices|total", "NAM Trusted Flagger": "notices|tf" };
  return automatedMeansRows.map(([, , , , indicator, scope]) => {
    const place = scopeOf[scope];
    if (!place) return undefined;
    const [what, where] = place.split("|");
    if (indicator.startsWith("Number of measures solely") || indicator.startsWith("Number of notices solely")) {
      return count(f.automation.get(`${what}|fully|${where}`));
    }
    if (indicator.startsWith("Number of measures not") || indicator.startsWith("Number of notices not")) {
      return count(f.automation.get(`${what}|partially|${where}`)) + count(f.automation.get(`${what}|not|${where}`));
    }
    return undefined;
  });
}
