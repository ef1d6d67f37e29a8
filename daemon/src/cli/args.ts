import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export type OutputFormat = 'text' | 'json';

/** Options every structured-output command takes: `--format text|json` and `--json` as its short form. */
export const formatOptions = {
  format: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/** Options every command that reads the config takes. */
export const configOptions = {
  config: { type: 'string', short: 'c', multiple: true },
} as const satisfies ParseArgsConfig['options'];

/** Options that widen where secret references may point (also ROSTERD_SECRET_DIRS, ROSTERD_SECRET_ENV_PREFIXES); never from the config itself. */
export const secretPolicyOptions = {
  'allow-secret-dir': { type: 'string', multiple: true },
  'allow-secret-env': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

/** The options of every command that works on a config's integrations: the config, the output format, the secret policy, --integration. */
export const integrationCommandOptions = {
  ...configOptions,
  ...formatOptions,
  ...secretPolicyOptions,
  integration: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** node:util parseArgs, with its errors turned into usage errors (exit 2) rather than stack traces. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function pickFormat(values: { format?: string; json?: boolean }): OutputFormat {
  if (values.json) return 'json';
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}"`);
  return format;
}

/** The config files a command reads: -c (repeatable), else $ROSTERD_CONFIG, else ./oneroster.yaml. */
export function configPaths(values: { config?: string[] }): string[] {
  if (values.config && values.config.length > 0) return values.config;
  return [process.env.ROSTERD_CONFIG || 'oneroster.yaml'];
}

/** A whole number option, or a usage error that names it. */
export function intOption(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number >= ${min}, not "${raw}"`);
  return n;
}
