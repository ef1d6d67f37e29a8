/**
 * The config API the rest of rosterd uses: load a file (YAML -> schema with defaults -> absolute paths ->
 * rules beyond the schema -> optionally secrets), getting either a Config or every problem with its position.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isRosterdError, UsageError } from '../errors.js';
import { parseYaml } from './load.js';
import { normalizeConfig } from './normalize.js';
import { formatPath, formatProblem, sortProblems, type ConfigProblem, type PathSegment } from './problems.js';
import { checkSchema, type RawProblem } from './schema.js';
import { resolveSecret, secretPolicyFrom } from './secrets.js';
import { checkSemantics } from './semantic.js';
import { notificationSecretRefs } from '../notify/config-checks.js';
import type { Config, SecretPolicy, SecretRef } from './types.js';

export type { ConfigProblem } from './problems.js';
export type { Config, IntegrationConfig, SisConfig, HaparaConfig, ScheduleConfig, SecretRef, SecretPolicy } from './types.js';
export { formatProblem } from './problems.js';
export { secretPolicyFrom, resolveSecret, describeSecretRef } from './secrets.js';
export { configSchema, SCHEMA_PATH } from './schema.js';

export type LoadResult =
  | { ok: true; config: Config; file: string; dir: string; checksum: string }
  | { ok: false; file: string; problems: ConfigProblem[] };

export interface LoadOptions {
  /** Where secret references may point; default: secretPolicyFrom(process.env, {}, the config's folder). */
  policy?: SecretPolicy;
  /** Also read every referenced secret now, reporting any that is missing or empty (never its value). */
  resolveSecrets?: boolean;
}

/** `file` is reported as given (relative stays relative), so messages match what the user typed. */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const dir = dirname(resolve(file));
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'permission denied' : `cannot be read (${code ?? String(err)})`;
    return { ok: false, file, problems: [{ file, line: 1, column: 1, path: '', message: `${why}; give the config file with -c FILE or $ROSTERD_CONFIG` }] };
  }
  const text = bytes.toString('utf8');
  const parsed = parseYaml(text);
  if (parsed.syntaxErrors.length > 0) {
    const problems = parsed.syntaxErrors.map((e) => ({ file, ...e.position, path: '', message: e.message }));
    return { ok: false, file, problems: sortProblems(problems) };
  }
  const data = parsed.data;
  if (data === null || data === undefined) {
    return { ok: false, file, problems: [{ file, line: 1, column: 1, path: '', message: 'the file is empty; see examples/ for a config to start from' }] };
  }
  const at = (raw: RawProblem): ConfigProblem => ({ file, ...parsed.locate(raw.path, raw.target), path: formatPath(raw.path), message: raw.message });

  const schemaProblems = checkSchema(data);
  normalizeConfig(data, dir);
  const policy = options.policy ?? secretPolicyFrom(process.env, {}, dir);
  // A place the schema already complained about gets no second, derived complaint.
  const flagged = new Set(schemaProblems.map((p) => formatPath(p.path)));
  const semanticProblems = checkSemantics(data, policy).filter((p) => !flagged.has(formatPath(p.path)));
  const problems = [...schemaProblems, ...semanticProblems].map(at);

  if (options.resolveSecrets && problems.length === 0) {
    for (const { path, ref } of secretRefs(data as Config)) {
      try {
        await resolveSecret(ref, policy);
      } catch (err) {
        if (!isRosterdError(err)) throw err;
        problems.push(at({ path, target: 'value', message: err.message }));
      }
    }
  }
  if (problems.length > 0) return { ok: false, file, problems: sortProblems(problems) };
  const checksum = createHash('sha256').update(bytes).digest('hex');
  return { ok: true, config: data as Config, file, dir, checksum };
}

/** Every secret reference in a valid config, with its config path. */
export function secretRefs(config: Config): { path: PathSegment[]; ref: SecretRef }[] {
  const out: { path: PathSegment[]; ref: SecretRef }[] = [];
  if (config.server.adminToken) out.push({ path: ['server', 'adminToken'], ref: config.server.adminToken });
  config.integrations.forEach((integration, i) => {
    out.push({ path: ['integrations', i, 'sis', 'clientSecret'], ref: integration.sis.clientSecret });
    out.push(...notificationSecretRefs(integration.notifications ?? [], ['integrations', i, 'notifications']));
  });
  return out;
}

/** The shared flags (args.ts secretPolicyOptions) as parseArgs returns them. */
export interface SecretPolicyFlagValues {
  'allow-secret-dir'?: string[];
  'allow-secret-env'?: string[];
}

export function policyForFile(values: SecretPolicyFlagValues, file: string, env: NodeJS.ProcessEnv = process.env): SecretPolicy {
  return secretPolicyFrom(env, { allowSecretDir: values['allow-secret-dir'], allowSecretEnv: values['allow-secret-env'] }, dirname(resolve(file)));
}

/** Prints problems to stderr: one "FILE:LINE:COLUMN: path: message" line each, or one JSON document. */
export function reportProblems(results: { file: string; problems: ConfigProblem[] }[], format: 'text' | 'json'): void {
  if (format === 'json') {
    process.stderr.write(`${JSON.stringify({ files: results.map((r) => ({ file: r.file, ok: r.problems.length === 0, problems: r.problems })) })}\n`);
    return;
  }
  for (const r of results) for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
}

/**
 * Loads the one config a command works on. On problems prints them (text or JSON) to stderr and returns null:
 * the command then exits 78 (ExitCode.config) with nothing changed.
 */
export async function loadConfigForCommand(
  paths: string[],
  values: SecretPolicyFlagValues & { 'resolve-secrets'?: boolean },
  format: 'text' | 'json',
): Promise<{ config: Config; file: string; policy: SecretPolicy } | null> {
  if (paths.length !== 1) throw new UsageError(`this command reads one config file, but ${paths.length} were given with -c`);
  const file = paths[0]!;
  const policy = policyForFile(values, file);
  const result = await loadConfig(file, { policy, resolveSecrets: values['resolve-secrets'] ?? false });
  if (!result.ok) {
    reportProblems([result], format);
    if (format === 'text') process.stderr.write(`${file}: the config has ${result.problems.length} problem(s); nothing was changed. Fix them and run again (rosterd validate -c ${file}).\n`);
    return null;
  }
  return { config: result.config, file, policy };
}
