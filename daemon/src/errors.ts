/**
 * Typed errors with stable codes, after undici's and fastify's: callers branch on `code`, never on message text.
 * Every code is documented in docs/errors.md with its cause and fix.
 */

/** What happened to the data when the error struck: every error a user sees says this. */
export type DataEffect = 'nothing changed' | 'run held' | 'record skipped' | 'run failed, roster unchanged';

export class RosterdError extends Error {
  override readonly name: string = 'RosterdError';
  readonly code: string;
  /** What the user can do about it. */
  readonly hint?: string;
  readonly dataEffect?: DataEffect;

  constructor(code: string, message: string, options: { hint?: string; dataEffect?: DataEffect; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.dataEffect = options.dataEffect;
  }

  /** One readable paragraph: what happened, what it did to the data, what to do. */
  describe(): string {
    const parts = [`${this.message} [${this.code}]`];
    if (this.dataEffect) parts.push(`Data: ${this.dataEffect}.`);
    if (this.hint) parts.push(`Fix: ${this.hint}`);
    return parts.join(' ');
  }
}

/** Raised for a bad command line: exit code 2. */
export class UsageError extends RosterdError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('ROSTERD_USAGE', message, { hint: 'run `rosterd help` for the commands and their options.' });
  }
}

export function isRosterdError(err: unknown): err is RosterdError {
  return err instanceof RosterdError;
}
