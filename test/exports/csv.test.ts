import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from '../../daemon/src/exports/csv.js';
import { parseCsv } from './parse-csv.js';

describe('csvCell', () => {
  it('leaves plain text, including macrons and apostrophes, as it is', () => {
    expect(csvCell('Mereana Ngāta')).toBe('Mereana Ngāta');
    expect(csvCell("O'Brien")).toBe("O'Brien");
    expect(csvCell('')).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(42)).toBe('42');
  });

  it('quotes commas, quotes and line breaks, doubling quotes (RFC 4180)', () => {
    expect(csvCell('Smith, John')).toBe('"Smith, John"');
    expect(csvCell('the "best" class')).toBe('"the ""best"" class"');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
  });

  it('defuses cells a spreadsheet would run as formulas (OWASP)', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+61 400')).toBe("'+61 400");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
    // Only the first character matters.
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('x-y@z')).toBe('x-y@z');
  });

  it('builds CRLF rows that parse back to the same values (guard aside)', () => {
    const values = ['a', 'b,c', 'd"e', 'f\r\ng', '', 'Ngā Tamariki'];
    const row = csvRow(values);
    expect(row.endsWith('\r\n')).toBe(true);
    expect(parseCsv(row)).toEqual([values]);
  });
});
