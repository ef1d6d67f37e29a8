/**
 * CSV as RFC 4180 says and spreadsheets need: CRLF line ends; a field containing a comma, a double quote, CR or
 * LF is quoted with its quotes doubled. Text cells that a spreadsheet would run as a formula (starting with
 * `=`, `+`, `-`, `@`, tab or CR) get a leading `'`, as OWASP advises against CSV injection: SIS data is typed
 * by many hands, and a student named "=HYPERLINK(...)" must stay a name.
 */

/** Files start with a UTF-8 byte order mark: Excel then reads macrons (Māori names) correctly instead of as ANSI. */
export const UTF8_BOM = '\uFEFF';
export const CRLF = '\r\n';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export type CsvValue = string | number | null | undefined;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // Only text is guarded: numbers rosterd writes (counts) are never negative, and must stay numbers.
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  if (NEEDS_QUOTES.test(text)) text = `"${text.replace(/"/g, '""')}"`;
  return text;
}

export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(',') + CRLF;
}
