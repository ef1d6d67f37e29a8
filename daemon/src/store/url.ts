import { isAbsolute, resolve } from 'node:path';
import { RosterdError } from '../errors.js';

/** Where a store lives, parsed from `storage.url`. Only SQLite today; PostgreSQL slots in as another variant. */
export type StoreLocation = { dialect: 'sqlite'; filename: string; memory: boolean };

const MEMORY = ':memory:';

/**
 * Accepts `sqlite:/abs/file.db`, `sqlite:///abs/file.db`, `sqlite:relative/file.db` (against the working
 * directory) and `sqlite::memory:`. Anything else is a config mistake the user can fix, so it gets a hint.
 */
export function parseStoreUrl(url: string): StoreLocation {
  const match = /^([a-z][a-z0-9+.-]*):(.*)$/i.exec(url);
  const scheme = match?.[1]?.toLowerCase();
  if (!match || (scheme !== 'sqlite' && scheme !== 'sqlite3')) {
    const shown = scheme ? `scheme "${scheme}:"` : 'no scheme';
    throw new RosterdError('ROSTERD_STORE_URL', `storage.url "${url}" has ${shown}; rosterd stores its data in SQLite`, {
      hint: 'set storage.url to "sqlite:/var/lib/rosterd/rosterd.db" (an absolute file path) or "sqlite::memory:" for a throwaway store.',
      dataEffect: 'nothing changed',
    });
  }
  let rest = match[2] ?? '';
  if (rest === MEMORY) return { dialect: 'sqlite', filename: MEMORY, memory: true };
  // sqlite:///abs/file.db is the URL-style spelling of sqlite:/abs/file.db.
  if (rest.startsWith('//')) rest = rest.slice(2);
  if (rest === '') {
    throw new RosterdError('ROSTERD_STORE_URL', `storage.url "${url}" names no database file`, {
      hint: 'give a file path after "sqlite:", for example "sqlite:/var/lib/rosterd/rosterd.db".',
      dataEffect: 'nothing changed',
    });
  }
  const filename = isAbsolute(rest) ? rest : resolve(process.cwd(), rest);
  return { dialect: 'sqlite', filename, memory: false };
}
