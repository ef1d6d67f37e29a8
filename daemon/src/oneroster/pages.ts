/**
 * Paging that neither drops nor repeats records (see "Pitfalls that lose records" in the OneRoster notes):
 * - the offset advances by the number of records RECEIVED, since servers clamp `limit` silently;
 * - a short page alone never ends the read: only an empty page, X-Total-Count, or a Link header without `next`;
 * - records repeated from the previous page (unstable server order) are dropped here; the store de-duplicates the rest;
 * - Link is a signal only: rosterd builds every page URL itself, so a Link to another host is never followed.
 */
import { badResponseError } from './errors.js';

export interface PageFetch {
  records: unknown[];
  /** X-Total-Count, when the server sent a usable one. */
  totalCount: number | null;
  link: LinkSignal;
  /** The URL fetched, for error messages. */
  url: string;
}

export interface LinkSignal {
  /** A Link header was present and had at least one parseable entry. */
  present: boolean;
  next: boolean;
  /** The offset of the rel="last" page, when it had one. */
  lastOffset: number | null;
}

export interface PagingStats {
  pages: number;
  /** Records the server sent, duplicates and invalid records included (this is also the next offset). */
  received: number;
  duplicates: number;
  totalCount: number | null;
  /** The read reached the end the server announced (or, with no count, an end signal). */
  complete: boolean;
}

/**
 * Reads pages from `fetchPage(offset)` until the end, yielding each page's records minus those already seen on
 * the previous page. Returns the paging statistics.
 */
export async function* readPages(fetchPage: (offset: number) => Promise<PageFetch>): AsyncGenerator<unknown[], PagingStats> {
  const stats: PagingStats = { pages: 0, received: 0, duplicates: 0, totalCount: null, complete: false };
  let previousIds = new Set<string>();
  let pagesWithoutNewRecords = 0;

  for (;;) {
    const page = await fetchPage(stats.received);
    stats.pages++;
    if (page.totalCount !== null) stats.totalCount = page.totalCount;
    if (page.records.length === 0) break;

    // Every id on this page, repeats included: the next page is compared with what this page held.
    const ids = new Set<string>();
    const fresh: unknown[] = [];
    for (const record of page.records) {
      const id = rawId(record);
      if (id !== null && (previousIds.has(id) || ids.has(id))) {
        ids.add(id);
        stats.duplicates++;
        continue;
      }
      if (id !== null) ids.add(id);
      fresh.push(record);
    }
    stats.received += page.records.length;

    // A server that ignores `offset` sends the same page forever: stop with an error instead of looping.
    pagesWithoutNewRecords = fresh.length === 0 ? pagesWithoutNewRecords + 1 : 0;
    if (pagesWithoutNewRecords >= 2) {
      throw badResponseError(page.url, `it sent the same records again at offset ${stats.received - page.records.length}, so it seems to ignore the offset parameter`);
    }
    previousIds = ids;
    if (fresh.length > 0) yield fresh;

    if (atEnd(stats.received, page)) break;
  }
  stats.complete = stats.totalCount === null || stats.received >= stats.totalCount;
  return stats;
}

/** Whether the headers say there is nothing after `received` records. With no headers, only an empty page ends it. */
function atEnd(received: number, page: PageFetch): boolean {
  if (page.totalCount !== null) return received >= page.totalCount;
  if (page.link.present && !page.link.next) {
    // Sanity check against the server's own "last": we have not yet read its last page (off-by-one Links exist).
    return !(page.link.lastOffset !== null && received <= page.link.lastOffset);
  }
  return false;
}

function rawId(record: unknown): string | null {
  if (typeof record !== 'object' || record === null) return null;
  const id = (record as { sourcedId?: unknown }).sourcedId;
  if (typeof id === 'string' && id.trim() !== '') return id.trim();
  if (typeof id === 'number') return String(id);
  return null;
}

/** X-Total-Count as a non-negative integer, or null when absent or garbled. */
export function parseTotalCount(value: string | string[] | undefined): number | null {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw || !/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * A loose RFC 8288 Link parser: with or without angle brackets, quoted or bare rel values, several rels per entry.
 * Only the relation names and the `offset` of `last` are read; the URLs themselves are never requested.
 */
export function parseLink(value: string | string[] | undefined, base: string): LinkSignal {
  const signal: LinkSignal = { present: false, next: false, lastOffset: null };
  const raw = Array.isArray(value) ? value.join(',') : value;
  if (!raw || !raw.trim()) return signal;

  for (const entry of splitEntries(raw)) {
    const [target = '', ...params] = entry.split(';');
    const url = target.trim().replace(/^<|>$/g, '').trim();
    const rels = params
      .map((p) => /^\s*rel\s*=\s*"?([^"]*)"?\s*$/i.exec(p)?.[1])
      .filter((r): r is string => r !== undefined)
      .flatMap((r) => r.toLowerCase().split(/\s+/))
      .filter(Boolean);
    if (!url || rels.length === 0) continue;
    signal.present = true;
    if (rels.includes('next')) signal.next = true;
    if (rels.includes('last')) signal.lastOffset = offsetOf(url, base);
  }
  return signal;
}

/**
 * Splits a Link header into entries on commas outside angle brackets; a piece with no parameters is glued back
 * to the previous one (a comma inside an unbracketed URL).
 */
function splitEntries(raw: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let inBrackets = false;
  for (const ch of raw) {
    if (ch === '<') inBrackets = true;
    else if (ch === '>') inBrackets = false;
    if (ch === ',' && !inBrackets) {
      pieces.push(current);
      current = '';
    } else current += ch;
  }
  pieces.push(current);
  const entries: string[] = [];
  for (const piece of pieces) {
    if (entries.length > 0 && !piece.includes(';') && !piece.trim().startsWith('<')) entries[entries.length - 1] += `,${piece}`;
    else entries.push(piece);
  }
  return entries;
}

function offsetOf(url: string, base: string): number | null {
  try {
    const raw = new URL(url, base).searchParams.get('offset');
    return raw !== null && /^\d+$/.test(raw) ? Number(raw) : null;
  } catch {
    return null;
  }
}
