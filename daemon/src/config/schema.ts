/**
 * Checks config data against schemas/oneroster.schema.json (the single source of truth) with one ajv instance,
 * applies the schema's defaults, and turns ajv's errors into one readable problem per place.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { PACKAGE_ROOT } from '../version.js';
import { closestName } from './suggest.js';
import type { PathSegment } from './problems.js';

export const SCHEMA_PATH = join(PACKAGE_ROOT, 'schemas', 'oneroster.schema.json');

export type JsonSchema = Record<string, unknown>;

let cachedSchema: JsonSchema | undefined;
let cachedValidate: ValidateFunction | undefined;

export function configSchema(): JsonSchema {
  cachedSchema ??= JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as JsonSchema;
  return cachedSchema;
}

function validator(): ValidateFunction {
  if (cachedValidate) return cachedValidate;
  // ajv-formats is CommonJS: under NodeNext its default export may arrive wrapped.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
  // strictRequired is off only because SecretRef says "exactly one of env/file" as oneOf: [{required: [env]}, {required: [file]}],
  // whose branches name properties declared one level up (every other strict check stays on).
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, verbose: true });
  addFormats(ajv);
  cachedValidate = ajv.compile(configSchema());
  return cachedValidate;
}

/** A schema problem before it is given a position: the path it is about, and whether it points at the key. */
export interface RawProblem {
  path: PathSegment[];
  target: 'key' | 'value';
  message: string;
}

/** Validates in place: defaults from the schema are written into `data`. */
export function checkSchema(data: unknown): RawProblem[] {
  const validate = validator();
  if (validate(data)) return [];
  return collapse(validate.errors ?? [], data);
}

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

const SECRET_DEF = '#/definitions/SecretRef';

/** ajv reports every failed branch of a oneOf and the oneOf itself; users want one sentence per place. */
function collapse(errors: ErrorObject[], data: unknown): RawProblem[] {
  const out: RawProblem[] = [];
  const byPlace = new Map<string, ErrorObject[]>();
  for (const err of errors) {
    // "must match then" adds nothing: the chosen branch's own errors (reported below) say what is wrong.
    if (err.keyword === 'if') continue;
    // Unknown and missing keys are about a child place: report each on its own.
    if (err.keyword === 'additionalProperties') {
      const key = (err.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(((err.parentSchema as JsonSchema | undefined)?.properties as JsonSchema | undefined) ?? {});
      const suggestion = closestName(key, known);
      out.push({
        path: [...pointerToPath(err.instancePath), key],
        target: 'key',
        message: `unknown key "${key}"${suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? ` (known keys: ${known.join(', ')})` : ''}`,
      });
      continue;
    }
    if (err.keyword === 'required' && !err.schemaPath.includes('/oneOf/')) {
      const key = (err.params as { missingProperty: string }).missingProperty;
      out.push({ path: [...pointerToPath(err.instancePath), key], target: 'key', message: `"${key}" is required` });
      continue;
    }
    const list = byPlace.get(err.instancePath) ?? [];
    list.push(err);
    byPlace.set(err.instancePath, list);
  }
  for (const [pointer, list] of byPlace) {
    const path = pointerToPath(pointer);
    out.push({ path, target: 'value', message: placeMessage(path, list, data) });
  }
  return out;
}

function placeMessage(path: PathSegment[], list: ErrorObject[], data: unknown): string {
  const slotName = String(path[path.length - 1] ?? 'value');
  const isSecretSlot = list.some((e) => e.schemaPath.startsWith(SECRET_DEF));
  if (isSecretSlot) {
    if (list.some((e) => e.keyword === 'type')) return literalSecretMessage(slotName, path, data);
    if (list.some((e) => e.keyword === 'oneOf')) return `${slotName} must name exactly one of env or file, such as { env: ${suggestedEnvName(path, data)} }`;
  }
  let relevant = list.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  // "must be a string; must be one of ..." says the same thing twice: the list of allowed values is enough.
  const enumError = relevant.find((e) => e.keyword === 'enum');
  if (enumError) {
    relevant = relevant.filter((e) => e.keyword !== 'type');
    const allowed = (enumError.params as { allowedValues: unknown[] }).allowedValues;
    if (typeof enumError.data === 'number' && allowed.every((v) => typeof v === 'string')) {
      return `${describe(enumError)}, in quotes so YAML keeps it a string (such as "${String(allowed[allowed.length - 1])}")`;
    }
  }
  const messages = [...new Set(relevant.map(describe))];
  if (messages.length === 0) return 'does not match any allowed form';
  return messages.join('; ');
}

/** Never includes the offending value: it may be a secret pasted into the wrong place. */
function literalSecretMessage(slotName: string, path: PathSegment[], data: unknown): string {
  const env = suggestedEnvName(path, data);
  const file = `/var/run/secrets/rosterd/${integrationName(path, data) ?? 'rosterd'}`;
  return `${slotName} must be a secret reference such as { env: ${env} } or { file: ${file} }; never put the secret itself in the config`;
}

function integrationName(path: PathSegment[], data: unknown): string | undefined {
  if (path[0] !== 'integrations' || typeof path[1] !== 'number') return undefined;
  const integrations = (data as { integrations?: unknown }).integrations;
  const entry = Array.isArray(integrations) ? (integrations[path[1]] as { name?: unknown } | undefined) : undefined;
  return typeof entry?.name === 'string' && /^[a-z0-9-]+$/.test(entry.name) ? entry.name : undefined;
}

function suggestedEnvName(path: PathSegment[], data: unknown): string {
  const name = integrationName(path, data);
  const slot = String(path[path.length - 1] ?? 'secret');
  if (slot === 'clientSecret') return `ROSTERD_${(name ?? 'springfield').toUpperCase().replace(/-/g, '_')}_SIS_SECRET`;
  const snake = slot.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return name ? `ROSTERD_${name.toUpperCase().replace(/-/g, '_')}_${snake}` : `ROSTERD_${snake}`;
}

function describe(err: ErrorObject): string {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'type': {
      const t = String(p.type);
      const article: Record<string, string> = { object: 'a mapping (key: value)', array: 'a list', string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false', null: 'empty' };
      return `must be ${t.split(',').map((x) => article[x] ?? x).join(' or ')}`;
    }
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'pattern':
      return patternMessage(err);
    case 'format':
      return p.format === 'uri' ? 'must be an absolute URL such as https://sis.example.org/...' : `must be a valid ${String(p.format)}`;
    case 'minimum':
      return `must be at least ${String(p.limit)}`;
    case 'maximum':
      return `must be at most ${String(p.limit)}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`;
    case 'minItems':
      return p.limit === 1 ? 'must list at least one entry' : `must list at least ${String(p.limit)} entries`;
    default:
      return err.message ?? `fails the ${err.keyword} check`;
  }
}

/** Patterns are unreadable to most users: say what they mean for the places that have one. */
function patternMessage(err: ErrorObject): string {
  const key = err.instancePath.split('/').pop() ?? '';
  switch (key) {
    case 'name':
      return 'must use only lower-case letters, digits and dashes (not at either end), at most 64 characters';
    case 'url':
      return 'must be sqlite:PATH (such as sqlite:./data/rosterd.db) or sqlite::memory:';
    case 'listen':
      return 'must be HOST:PORT, such as 127.0.0.1:8080';
    case 'env':
      return 'must be an environment variable name (letters, digits and underscores)';
    default:
      return `must match the pattern ${String((err.params as { pattern: string }).pattern)}`;
  }
}
