// PostgreSQL's COPY text format (one line a row, tab between columns, \N for NULL, backslash
// escapes), both ways: rows written for COPY ... FROM STDIN, fields read from COPY ... TO STDOUT.
// Writing escapes only the four characters the format gives meaning to; a NUL character cannot be
// stored in text at all and makes PostgreSQL refuse the row (22021), as it would in an INSERT.

/** The NULL marker, in both directions. */
export const copyNull = "\\N";

const special = /[\\\t\n\r]/;
const specialAll = /[\\\t\n\r]/g;
const escapes: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** One column value: text as is (escaped), null as \N. */
export function copyField(value: string | null): string {
  if (value === null) return copyNull;
  return special.test(value) ? value.replace(specialAll, (character) => escapes[character]) : value;
}

/** One row, terminated by a newline. */
export function copyLine(values: Array<string | null>): string {
  let line = copyField(values[0]);
  for (let i = 1; i < values.length; i++) line += "\t" + copyField(values[i]);
  return line + "\n";
}

const escaped = /\\(.)/g;
const unescapes: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" };

/** One field as COPY TO wrote it, its escapes undone (COPY TO writes only these; NULL aside). */
export function unescapeCopy(field: string): string {
  if (!field.includes("\\")) return field;
  return field.replace(escaped, (_, character: string) => unescapes[character] ?? character);
}
