// Rows in PostgreSQL's COPY text format (one line a row, tab between columns, \N for NULL), for
// bulk loads through COPY ... FROM STDIN. Only the four characters the format gives meaning to are
// escaped; a NUL character cannot be stored in text at all and makes PostgreSQL refuse the row
// (22021), as it would in an INSERT.
const special = /[\\\t\n\r]/;
const specialAll = /[\\\t\n\r]/g;
const escapes: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** One column value: text as is (escaped), null as \N. */
export function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return special.test(value) ? value.replace(specialAll, (character) => escapes[character]) : value;
}

/** One row, terminated by a newline. */
export function copyLine(values: Array<string | null>): string {
  let line = copyField(values[0]);
  for (let i = 1; i < values.length; i++) line += "\t" + copyField(values[i]);
  return line + "\n";
}
