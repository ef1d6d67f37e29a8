/**
 * docs/errors.md is the catalogue of every error code a user can meet. This test scans daemon/src for every
 * `ROSTERD_*` code literal and fails, naming the code, when one has no entry (a heading) in the catalogue; it also
 * fails on an entry for a code the program no longer has, and on an entry that does not say what happened to the
 * data. The checker is itself tested on a copy of the catalogue with an entry removed, so it cannot pass vacuously.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'daemon', 'src');
const CATALOGUE = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');

/**
 * String literals in the sources that name environment variables, not error codes (they share the prefix).
 * Each must say why; a test below checks they are still used and never raised as a code.
 */
const NOT_ERROR_CODES: Record<string, string> = {
  ROSTERD_DEMO_SIS_SECRET: 'the environment variable through which `rosterd demo` and `rosterd sim` share the demo SIS secret',
};

/** The phrases that say what an error did to the data (see the table at the top of docs/errors.md). */
const DATA_EFFECTS = [/nothing changed/i, /run held/i, /\bheld\b/i, /run failed, roster unchanged/i, /record skipped/i, /roster is not affected/i, /never affect a sync/i];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every `ROSTERD_*` string literal ('...', "..." or `...` holding only the name), with the files it is in. */
export function codeLiterals(files: { path: string; text: string }[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const { path, text } of files) {
    for (const m of text.matchAll(/(['"`])(ROSTERD_[A-Z][A-Z0-9_]*)\1/g)) {
      const code = m[2]!;
      const where = found.get(code) ?? [];
      if (!where.includes(path)) where.push(path);
      found.set(code, where);
    }
  }
  return found;
}

interface Entry {
  code: string;
  group: string;
  body: string;
}

/**
 * The catalogue's entries: every heading that names a `ROSTERD_*` code (plain or as a code span, one or several
 * codes per heading), with its text up to the next heading, and the group (## heading) it is under with the
 * group's introduction. A code mentioned only in passing (a list, another entry's text) is not an entry.
 */
export function catalogueEntries(markdown: string): { entries: Entry[]; groupIntro: Map<string, string> } {
  const entries: Entry[] = [];
  const groupIntro = new Map<string, string>();
  let group = '';
  let current: Entry[] = [];
  let intro: string[] | null = null;
  for (const line of markdown.split('\n')) {
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      current = [];
      const codes = [...heading[2]!.matchAll(/`?\[?(ROSTERD_[A-Z][A-Z0-9_]*)\]?`?/g)].map((m) => m[1]!);
      if (codes.length > 0) {
        intro = null;
        for (const code of codes) {
          const entry = { code, group, body: '' };
          entries.push(entry);
          current.push(entry);
        }
      } else if (heading[1] === '##') {
        group = heading[2]!.trim();
        intro = [];
        groupIntro.set(group, '');
      } else {
        intro = null;
      }
      continue;
    }
    for (const entry of current) entry.body += `${line}\n`;
    if (intro) groupIntro.set(group, `${groupIntro.get(group) ?? ''}${line}\n`);
  }
  return { entries, groupIntro };
}

/** The codes that have no entry in the catalogue, sorted. */
export function undocumented(codes: Iterable<string>, markdown: string): string[] {
  const documented = new Set(catalogueEntries(markdown).entries.map((e) => e.code));
  return [...codes].filter((c) => !documented.has(c)).sort();
}

const files = sourceFiles(SRC).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));
const literals = codeLiterals(files);
const codes = [...literals.keys()].filter((c) => !(c in NOT_ERROR_CODES)).sort();

describe('docs/errors.md, the error catalogue', () => {
  it('finds the codes in daemon/src, including those built by helpers (a scanner that finds nothing proves nothing)', () => {
    expect(codes.length).toBeGreaterThanOrEqual(40);
    // From a table of codes (oneroster/errors.ts), an exported constant (store/runs.ts), an object literal
    // (sync/run.ts), an HTTP error (http/admin.ts), and a subclass's constructor (errors.ts UsageError).
    for (const code of ['ROSTERD_SIS_TLS', 'ROSTERD_RUN_ABANDONED', 'ROSTERD_RUN_HELD', 'ROSTERD_UNAUTHORIZED', 'ROSTERD_USAGE']) expect(codes).toContain(code);
  });

  it('documents every ROSTERD_* code the program can raise', () => {
    const missing = undocumented(codes, CATALOGUE);
    const report = missing.map((c) => `${c} (raised in ${literals.get(c)!.join(', ')}) has no entry in docs/errors.md`);
    expect(report, 'add a "### CODE" entry: what happened, what it did to the data, what to do').toEqual([]);
  });

  it('fails, naming the code, when an entry is removed', () => {
    const victim = 'ROSTERD_PLAN_STALE';
    const start = CATALOGUE.indexOf(`### ${victim}\n`);
    expect(start).toBeGreaterThan(0);
    const end = CATALOGUE.indexOf('\n#', start + 1);
    const without = CATALOGUE.slice(0, start) + CATALOGUE.slice(end + 1);
    expect(without).toContain(victim); // still mentioned in passing (the index at the top): that is not an entry
    expect(undocumented(codes, without)).toEqual([victim]);
  });

  it('has no entry for a code the program does not have', () => {
    const stale = catalogueEntries(CATALOGUE)
      .entries.map((e) => e.code)
      .filter((c) => !literals.has(c));
    expect(stale).toEqual([]);
  });

  it('has one entry per code, each in a group, each saying what happened to the data', () => {
    const { entries, groupIntro } = catalogueEntries(CATALOGUE);
    const seen = entries.map((e) => e.code);
    expect(seen.filter((c, i) => seen.indexOf(c) !== i)).toEqual([]);
    const silent = entries.filter((e) => !e.group || !DATA_EFFECTS.some((p) => p.test(e.body) || p.test(groupIntro.get(e.group) ?? ''))).map((e) => e.code);
    expect(silent).toEqual([]);
  });

  it('keeps the groups the catalogue promises', () => {
    const groups = [...catalogueEntries(CATALOGUE).groupIntro.keys()];
    for (const group of ['Configuration and secrets', 'SIS connection errors', 'Sync and safety', 'Store and data log', 'Daemon and admin API', 'Exports', 'Notifications']) {
      expect(groups).toContain(group);
    }
    // Links inside the catalogue point at headings that exist.
    const anchors = new Set(CATALOGUE.split('\n').filter((l) => /^#{1,6}\s/.test(l)).map((l) => l.replace(/^#+\s+/, '').trim().toLowerCase().replace(/[^a-z0-9_ -]/g, '').replace(/ /g, '-')));
    const broken = [...CATALOGUE.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!).filter((a) => !anchors.has(a));
    expect(broken).toEqual([]);
  });

  it('lists as non-codes only names that are still in the sources and are never raised as a code', () => {
    for (const [name, why] of Object.entries(NOT_ERROR_CODES)) {
      expect(literals.has(name), `${name}: ${why}`).toBe(true);
      for (const { text } of files) {
        expect(text).not.toMatch(new RegExp(`(RosterdError\\(|sendError\\([^,]+,\\s*\\d+,\\s*|code:\\s*)['"\`]${name}['"\`]`));
      }
    }
  });
});
