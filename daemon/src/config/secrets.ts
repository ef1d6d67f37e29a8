/**
 * Secret references ({ env: NAME } / { file: PATH }) and the operator's policy of where they may point.
 * Why a policy: a config change alone must not be able to read an arbitrary file or environment variable
 * and send it to a token URL the same change names. Only the operator (flags, environment) widens it.
 * Secret values never appear in messages: errors name the reference only.
 */
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { RosterdError } from '../errors.js';
import type { SecretPolicy, SecretRef } from './types.js';

export const DEFAULT_SECRET_DIRS = ['/var/run/secrets/rosterd', '/run/secrets/rosterd'] as const;
export const DEFAULT_SECRET_ENV_PREFIXES = ['ROSTERD_'] as const;

export function secretPolicyFrom(
  env: NodeJS.ProcessEnv,
  flags: { allowSecretDir?: string[]; allowSecretEnv?: string[] } = {},
  configDir?: string,
): SecretPolicy {
  const dirs: string[] = [...DEFAULT_SECRET_DIRS];
  if (configDir) dirs.push(configDir);
  for (const d of (env.ROSTERD_SECRET_DIRS ?? '').split(':')) if (d.trim()) dirs.push(d.trim());
  for (const d of flags.allowSecretDir ?? []) if (d.trim()) dirs.push(d.trim());
  const prefixes: string[] = [...DEFAULT_SECRET_ENV_PREFIXES];
  for (const p of (env.ROSTERD_SECRET_ENV_PREFIXES ?? '').split(',')) if (p.trim()) prefixes.push(p.trim());
  for (const p of flags.allowSecretEnv ?? []) if (p.trim()) prefixes.push(p.trim());
  return { fileDirs: [...new Set(dirs.map((d) => resolve(d)))], envPrefixes: [...new Set(prefixes)] };
}

export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `env ${ref.env}` : `file ${ref.file}`;
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Why the reference is outside the policy, or undefined when it is allowed. Paths must already be absolute. */
export function policyViolation(ref: SecretRef, policy: SecretPolicy): string | undefined {
  if ('env' in ref) {
    if (policy.envPrefixes.some((p) => ref.env.startsWith(p))) return undefined;
    return `secret reference env ${ref.env} is not allowed: environment variable names must start with ${policy.envPrefixes.join(' or ')}; the operator can allow more with --allow-secret-env PREFIX or ROSTERD_SECRET_ENV_PREFIXES`;
  }
  const path = resolve(ref.file);
  if (policy.fileDirs.some((d) => isInside(d, path))) return undefined;
  return `secret reference file ${ref.file} is not allowed: secret files must be inside ${policy.fileDirs.join(', ')}; the operator can allow another folder with --allow-secret-dir DIR or ROSTERD_SECRET_DIRS`;
}

async function realOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/**
 * The secret's value, read now (secrets are resolved only when needed, so a rotated secret is picked up).
 * Throws ROSTERD_SECRET_NOT_ALLOWED or ROSTERD_SECRET_UNAVAILABLE naming the reference, never the value.
 */
export async function resolveSecret(ref: SecretRef, policy: SecretPolicy): Promise<string> {
  const violation = policyViolation(ref, policy);
  if (violation) {
    throw new RosterdError('ROSTERD_SECRET_NOT_ALLOWED', violation, {
      hint: 'point the reference inside the allowed folders or names, or have the operator widen them',
      dataEffect: 'nothing changed',
    });
  }
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined) throw unavailable(ref, 'the environment variable is not set');
    if (value.trim() === '') throw unavailable(ref, 'the environment variable is empty');
    return value;
  }
  const path = resolve(ref.file);
  // A symlink (or a ../ hidden in a link) must not lead outside the allowed folders.
  const real = await realOrSelf(path);
  const realDirs = await Promise.all(policy.fileDirs.map(realOrSelf));
  if (!realDirs.some((d) => isInside(d, real)) && !policy.fileDirs.some((d) => isInside(d, real))) {
    throw new RosterdError('ROSTERD_SECRET_NOT_ALLOWED', `secret reference file ${ref.file} is a link to a place outside the allowed folders`, {
      hint: 'mount the secret itself inside an allowed folder',
      dataEffect: 'nothing changed',
    });
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'the file cannot be read (permission denied)' : code === 'EISDIR' ? 'it is a folder, not a file' : `the file cannot be read (${code ?? 'error'})`;
    throw unavailable(ref, why);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw unavailable(ref, 'the file is empty');
  return value;
}

function unavailable(ref: SecretRef, why: string): RosterdError {
  return new RosterdError('ROSTERD_SECRET_UNAVAILABLE', `secret reference ${describeSecretRef(ref)} cannot be resolved: ${why}`, {
    hint: 'env' in ref ? `set ${ref.env} in the daemon's environment` : `create ${ref.file} holding the secret`,
    dataEffect: 'nothing changed',
  });
}
