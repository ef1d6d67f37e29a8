/**
 * The daemon's log: pino JSON lines on stdout, one object per event, for Kubernetes log collectors.
 * Secrets never reach it: nothing logs a resolved secret, and the redact list below is a second line of
 * defence for the field names a secret could travel under (a header dump, a config object).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const REDACT = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'clientSecret',
  '*.clientSecret',
  'adminToken',
  '*.adminToken',
  'access_token',
  '*.access_token',
  'client_secret',
  '*.client_secret',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

/** ROSTERD_LOG_LEVEL wins over the config, so an operator can turn on debug without editing a ConfigMap. */
export function effectiveLevel(configLevel: string | undefined, env: NodeJS.ProcessEnv = process.env): LevelWithSilent {
  const fromEnv = env.ROSTERD_LOG_LEVEL?.trim().toLowerCase();
  if (fromEnv && LEVELS.includes(fromEnv)) return fromEnv as LevelWithSilent;
  return (configLevel && LEVELS.includes(configLevel) ? configLevel : 'info') as LevelWithSilent;
}

export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream | number = 1): Logger {
  const dest = typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
  return pino(
    {
      level,
      base: { pid: process.pid, name: 'rosterd' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
}

/** An error as log fields: its stable code and readable message, never a stack for expected (user) errors. */
export function errorFields(err: unknown): { code: string; err: string } {
  const code = (err as { code?: unknown } | null)?.code;
  const describe = (err as { describe?: () => string } | null)?.describe;
  const message = typeof describe === 'function' ? describe.call(err) : err instanceof Error ? err.message : String(err);
  return { code: typeof code === 'string' ? code : 'ROSTERD_INTERNAL', err: message };
}
