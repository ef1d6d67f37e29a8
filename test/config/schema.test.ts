/** The schema as a product: strict, documented, with defaults, and in step with the TypeScript types. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../daemon/src/config/index.js';
import { generateConfigTypes } from '../../daemon/src/config/schema-to-ts.js';
import { closestName, editDistance } from '../../daemon/src/config/suggest.js';
import { PACKAGE_ROOT } from '../../daemon/src/version.js';

type S = Record<string, unknown>;

/** Every object schema in the tree, with its JSON pointer. */
function objects(schema: S, at = '#'): [string, S][] {
  const out: [string, S][] = [];
  // A tagged union (allOf: [{ if, then: { $ref } }, ...]) is closed by each branch's definition, walked below.
  const taggedUnion = Array.isArray(schema.allOf) && (schema.allOf as S[]).every((b) => b.if && typeof (b.then as S | undefined)?.$ref === 'string');
  if (schema.type === 'object' && !taggedUnion) out.push([at, schema]);
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, S>)) out.push(...objects(child, `${at}/properties/${key}`));
  for (const [key, child] of Object.entries((schema.definitions ?? {}) as Record<string, S>)) out.push(...objects(child, `${at}/definitions/${key}`));
  if (schema.items) out.push(...objects(schema.items as S, `${at}/items`));
  return out;
}

describe('schemas/oneroster.schema.json', () => {
  it('compiles in a strict ajv (unknown keywords, formats and types are errors)', () => {
    const ajv = new Ajv({ strict: true, strictRequired: false, validateFormats: false });
    expect(() => ajv.compile(configSchema())).not.toThrow();
  });

  it('closes every object (unknown keys are errors) and documents every key', () => {
    const all = objects(configSchema());
    expect(all.length).toBeGreaterThan(6);
    for (const [at, schema] of all) {
      expect(schema.additionalProperties, at).toBe(false);
      for (const [key, prop] of Object.entries((schema.properties ?? {}) as Record<string, S>)) {
        const documented = typeof prop.description === 'string' || typeof prop.$ref === 'string';
        expect(documented, `${at}/properties/${key} has no description`).toBe(true);
      }
    }
  });

  it('is what `rosterd schema` serves (the file, valid JSON)', () => {
    const text = readFileSync(join(PACKAGE_ROOT, 'schemas/oneroster.schema.json'), 'utf8');
    expect(JSON.parse(text)).toEqual(configSchema());
  });

  it('is referenced by the first line of oneroster.yaml and every example, for yaml-language-server', () => {
    expect(readFileSync(join(PACKAGE_ROOT, 'oneroster.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./schemas/oneroster.schema.json');
    for (const f of ['school.yaml', 'district.yaml', 'multi-district.yaml']) {
      expect(readFileSync(join(PACKAGE_ROOT, 'examples', f), 'utf8').split('\n')[0], f).toBe('# yaml-language-server: $schema=../schemas/oneroster.schema.json');
    }
  });
});

describe('types and schema cannot drift', () => {
  it('daemon/src/config/types.ts is exactly what the generator makes from the schema', () => {
    const checkedIn = readFileSync(join(PACKAGE_ROOT, 'daemon/src/config/types.ts'), 'utf8');
    expect(checkedIn, 'schema changed: run `npm run build && node dist/config/schema-to-ts.js > daemon/src/config/types.ts`').toBe(generateConfigTypes());
  });

  it('the generator follows the schema: a new key with a default appears as a required property', () => {
    const schema = structuredClone(configSchema());
    const props = ((schema.definitions as Record<string, S>).ScheduleConfig!.properties as Record<string, S>);
    props.catchUp = { description: 'Run a missed sync at start-up.', type: 'boolean', default: true };
    props.note = { description: 'Free text.', type: 'string' };
    const out = generateConfigTypes(schema);
    expect(out).toContain('  catchUp: boolean;');
    expect(out).toContain('  note?: string;');
  });

  it('the generator refuses schema constructs it cannot translate, rather than guessing', () => {
    const schema = structuredClone(configSchema());
    ((schema.properties as Record<string, S>).storage!.properties as Record<string, S>).url = { description: 'x', anyOf: [{ type: 'string' }] };
    expect(() => generateConfigTypes(schema)).toThrow(/unsupported/);
  });
});

describe('did you mean', () => {
  it('suggests within edit distance 2 or by prefix, and nothing for a far-off key', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestName('tokenurl', ['tokenUrl', 'urlPrefix'])).toBe('tokenUrl');
    expect(closestName('urlPref', ['tokenUrl', 'urlPrefix'])).toBe('urlPrefix');
    expect(closestName('timeout', ['timeoutSeconds', 'pageSize'])).toBe('timeoutSeconds');
    expect(closestName('colour', ['version', 'tokenUrl'])).toBeUndefined();
  });
});
