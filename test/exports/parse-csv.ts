/** A strict RFC 4180 reader for tests: CRLF records, quoted fields with doubled quotes. Throws on anything else. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const row: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i += 1;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new Error('unterminated quoted field');
          field += text.slice(i, q);
          if (text[q + 1] === '"') {
            field += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
      } else {
        const end = nextDelimiter(text, i);
        field = text.slice(i, end);
        if (/["\r\n]/.test(field)) throw new Error(`unquoted field with a quote or line break: ${JSON.stringify(field)}`);
        i = end;
      }
      row.push(field);
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      throw new Error(`expected , or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 5))}`);
    }
    rows.push(row);
  }
  return rows;
}

function nextDelimiter(text: string, from: number): number {
  const comma = text.indexOf(',', from);
  const crlf = text.indexOf('\r\n', from);
  const candidates = [comma, crlf].filter((n) => n >= 0);
  return candidates.length ? Math.min(...candidates) : text.length;
}
