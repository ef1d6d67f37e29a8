/**
 * Generates daemon/src/config/types.ts from schemas/oneroster.schema.json, so the TypeScript types cannot drift
 * from the schema (test/config/types-agree.test.ts fails when the checked-in file differs from a regeneration).
 *
 * Regenerate after editing the schema:
 *   npm run build && node dist/config/schema-to-ts.js > daemon/src/config/types.ts
 *
 * The types describe a LOADED config: a key with a schema `default` is always present, and so are the keys
 * normalize.ts fills in (ALWAYS_PRESENT). Only the small subset of JSON Schema the config uses is supported;
 * anything else throws, so an unsupported schema change is noticed at once.
 */
import { pathToFileURL } from 'node:url';
import { configSchema, type JsonSchema } from './schema.js';

/** Keys without a schema default that the loader still always fills (normalize.ts). */
const ALWAYS_PRESENT: Record<string, string[]> = { SisConfig: ['scopes'] };

/** Declarations that are not config data, kept in the same file so every config type has one home. */
const TRAILER = `
/** A class-name format: one of the five Hāpara formats, or a {{token}} template (roster/naming.ts). */
export type ClassNameFormat = string;

/** Where the operator allows secret references to point; widened only by flag or environment, never by the config. */
export interface SecretPolicy {
  fileDirs: string[];
  envPrefixes: string[];
}
`;

function doc(description: unknown, indent: string): string {
  if (typeof description !== 'string') return '';
  return `${indent}/** ${description.replace(/\*\//g, '*\\/')} */\n`;
}

function literal(v: unknown): string {
  return typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v);
}

function typeOf(schema: JsonSchema, indent: string, typeName?: string): string {
  if (typeof schema.$ref === 'string') {
    const m = /^#\/definitions\/(\w+)$/.exec(schema.$ref);
    if (!m) throw new Error(`unsupported $ref ${schema.$ref}`);
    return m[1]!;
  }
  if ('const' in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map(literal).join(' | ');
  // A type list such as ["integer", "null"]: the union of each.
  if (Array.isArray(schema.type)) return (schema.type as string[]).map((type) => typeOf({ ...schema, type }, indent, typeName)).join(' | ');
  switch (schema.type) {
    case 'null':
      return 'null';
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `${wrap(typeOf((schema.items ?? {}) as JsonSchema, indent))}[]`;
    case 'object':
      return objectType(schema, indent, typeName);
    default:
      throw new Error(`unsupported schema type ${JSON.stringify(schema.type)}`);
  }
}

function wrap(t: string): string {
  return t.includes(' | ') ? `(${t})` : t;
}

function objectType(schema: JsonSchema, indent: string, typeName?: string): string {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set([...((schema.required as string[] | undefined) ?? []), ...(typeName ? ALWAYS_PRESENT[typeName] ?? [] : [])]);
  // "exactly one of" as oneOf: [{required: [a]}, {required: [b]}]: a union of one-key objects.
  if (Array.isArray(schema.oneOf)) {
    return (schema.oneOf as JsonSchema[])
      .map((branch) => {
        const keys = branch.required as string[] | undefined;
        if (!keys || Object.keys(branch).length !== 1) throw new Error('unsupported oneOf: only [{required: [...]}, ...] branches');
        return `{ ${keys.map((k) => `${k}: ${typeOf(properties[k]!, indent)}`).join('; ')} }`;
      })
      .join(' | ');
  }
  // A tagged union as allOf: [{ if: <type is X>, then: { $ref: T } }, ...] (ajv reports only the chosen branch's
  // errors, unlike oneOf): the union of the T's.
  if (Array.isArray(schema.allOf)) {
    return (schema.allOf as JsonSchema[])
      .map((branch) => {
        const then = branch.then as JsonSchema | undefined;
        if (!branch.if || typeof then?.$ref !== 'string' || Object.keys(branch).length !== 2) throw new Error('unsupported allOf: only [{if, then: {$ref}}, ...] branches');
        return typeOf(then, indent);
      })
      .join(' | ');
  }
  const inner = `${indent}  `;
  const lines = Object.entries(properties).map(([key, prop]) => {
    const present = required.has(key) || 'default' in prop;
    return `${doc(prop.description, inner)}${inner}${key}${present ? '' : '?'}: ${typeOf(prop, inner)};\n`;
  });
  return `{\n${lines.join('')}${indent}}`;
}

function declaration(name: string, schema: JsonSchema): string {
  const body = typeOf(schema, '', name);
  const head = doc(schema.description, '');
  return body.startsWith('{\n') ? `${head}export interface ${name} ${body}\n` : `${head}export type ${name} = ${body};\n`;
}

export function generateConfigTypes(schema: JsonSchema = configSchema()): string {
  const definitions = (schema.definitions ?? {}) as Record<string, JsonSchema>;
  const parts = [
    '// GENERATED from schemas/oneroster.schema.json by daemon/src/config/schema-to-ts.ts: do not edit by hand.\n' +
      '// Regenerate: npm run build && node dist/config/schema-to-ts.js > daemon/src/config/types.ts\n' +
      '// The shape of a LOADED config: schema defaults applied, relative paths made absolute, secrets still references.\n',
    declaration('Config', schema),
    ...Object.entries(definitions).map(([name, def]) => declaration(name, def)),
  ];
  return `${parts.join('\n')}${TRAILER}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(generateConfigTypes());
}
