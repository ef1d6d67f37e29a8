import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfigForCommand } from '../config/index.js';
import { RosterdError, UsageError } from '../errors.js';
import { parseStoreUrl } from '../store/url.js';
import { configOptions, configPaths, formatOptions, parseCommandArgs, pickFormat, secretPolicyOptions } from './args.js';
import { ExitCode } from './exit-codes.js';
import type { Command } from './main.js';

/**
 * `rosterd backup --out FILE`: a consistent copy of the SQLite store, safe while the daemon runs. SQLite's
 * online backup API copies a snapshot page by page and restarts when a writer changes a copied page, so the
 * copy is always one committed state; it is written beside FILE and renamed into place when complete.
 */
const command: Command = {
  summary: 'write a consistent copy of the store (safe while the daemon runs)',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...configOptions, ...formatOptions, ...secretPolicyOptions, out: { type: 'string', short: 'o' }, force: { type: 'boolean' } });
    const format = pickFormat(values);
    if (!values.out) throw new UsageError('give the backup file with --out FILE');
    const loaded = await loadConfigForCommand(configPaths(values), values, format);
    if (!loaded) return ExitCode.config;
    const location = parseStoreUrl(loaded.config.storage.url);
    if (location.memory) throw new UsageError('storage.url is an in-memory store (sqlite::memory:); there is nothing on disk to back up');
    if (!existsSync(location.filename)) {
      throw new RosterdError('ROSTERD_STORE_NOT_FOUND', `the store file ${location.filename} does not exist`, { hint: 'start the daemon or run `rosterd sync` first.', dataEffect: 'nothing changed' });
    }
    const out = resolve(values.out);
    if (out === resolve(location.filename)) throw new UsageError('--out must not be the store file itself');
    if (existsSync(out) && !values.force) throw new UsageError(`${out} exists; choose another --out or add --force to replace it`);
    const partial = `${out}.partial-${process.pid}`;
    const db = new Database(location.filename, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 10000');
      await mkdir(dirname(out), { recursive: true });
      const progress = await db.backup(partial);
      await rename(partial, out);
      if (format === 'json') process.stdout.write(`${JSON.stringify({ out, pages: progress.totalPages })}\n`);
      else process.stdout.write(`Backed up ${location.filename} to ${out} (${progress.totalPages} pages). It holds students' personal data: keep it as safe as the store.\n`);
      return ExitCode.ok;
    } catch (err) {
      await rm(partial, { force: true });
      throw new RosterdError('ROSTERD_BACKUP_FAILED', `could not back up ${location.filename} to ${out}: ${(err as Error).message}`, {
        hint: 'check that the folder of --out is writable and has space.',
        dataEffect: 'nothing changed',
        cause: err,
      });
    } finally {
      db.close();
    }
  },
};

export default command;
