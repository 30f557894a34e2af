// RFC 4180 CSV: the evidence export and the DSA transparency report's template parts.

/** Quote a field holding a comma, quote, CR or LF (and double its quotes). */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Whole rows, each ended by CRLF as RFC 4180 asks. */
export function csvDocument(rows: unknown[][]): string {
  return rows.map((row) => row.map(csvField).join(",") + "\r\n").join("");
}
