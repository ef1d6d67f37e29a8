/**
 * After the schema has applied its defaults: the defaults JSON Schema cannot express (scopes depend on the
 * SIS version) and relative paths made absolute against the config file's folder, so the rest of rosterd
 * never depends on the working directory.
 */
import { isAbsolute, resolve } from 'node:path';
import { normalizeNotifications } from '../notify/config-checks.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const DEFAULT_SCOPES: Record<'1.1' | '1.2', string[]> = {
  '1.1': ['https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly', 'https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly'],
  '1.2': ['https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly', 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly'],
};

const absolute = (dir: string, p: string): string => (isAbsolute(p) ? p : resolve(dir, p));

/** sqlite:./x.db -> sqlite:/abs/x.db; sqlite::memory: stays. */
export function absoluteStorageUrl(url: string, dir: string): string {
  if (!url.startsWith('sqlite:')) return url;
  const rest = url.slice('sqlite:'.length);
  if (rest === ':memory:' || rest === '') return url;
  return `sqlite:${absolute(dir, rest)}`;
}

function absoluteSecretRef(ref: unknown, dir: string): void {
  if (isObj(ref) && typeof ref.file === 'string' && ref.file !== '') ref.file = absolute(dir, ref.file);
}

/** Mutates `data` in place; tolerant of shapes the schema rejected (those are reported separately). */
export function normalizeConfig(data: unknown, dir: string): void {
  if (!isObj(data)) return;
  if (isObj(data.storage) && typeof data.storage.url === 'string') data.storage.url = absoluteStorageUrl(data.storage.url, dir);
  if (isObj(data.exports) && typeof data.exports.dir === 'string' && data.exports.dir !== '') data.exports.dir = absolute(dir, data.exports.dir);
  if (isObj(data.server)) absoluteSecretRef(data.server.adminToken, dir);
  if (!Array.isArray(data.integrations)) return;
  for (const entry of data.integrations) {
    if (isObj(entry)) normalizeNotifications(entry.notifications, dir);
    if (!isObj(entry) || !isObj(entry.sis)) continue;
    const sis = entry.sis;
    absoluteSecretRef(sis.clientSecret, dir);
    if (typeof sis.caFile === 'string' && sis.caFile !== '') sis.caFile = absolute(dir, sis.caFile);
    if (sis.scopes === undefined && (sis.version === '1.1' || sis.version === '1.2')) sis.scopes = [...DEFAULT_SCOPES[sis.version]];
  }
}
