import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Database } from 'better-sqlite3';
import { RosterdError } from '../errors.js';
import { parseStoreUrl, type StoreLocation } from './url.js';
import { MIGRATIONS_TABLE, migrationSource } from './migrations/index.js';
import { RunLog, type RunLogOptions } from './runs.js';

export interface Store {
  knex: Knex;
  url: string;
  dialect: 'sqlite';
  runs: RunLog;
  close(): Promise<void>;
}

export interface OpenStoreOptions extends RunLogOptions {
  /** Open without writing: no migrations, no WAL switch. For `export` and `logs` against a live daemon's file. */
  readonly?: boolean;
  /** How long a statement waits for another process's write to finish before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** How long to keep retrying when another process is migrating the same file. */
  migrationLockWaitMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
const STORE_CACHE_KIB = 128 * 1024;
const DEFAULT_MIGRATION_LOCK_WAIT_MS = 30_000;

/**
 * Opens (creating when needed) the store named by `url`, brings its schema up to date and hands back a knex
 * instance with exactly one connection: better-sqlite3 is synchronous, so a second connection in the same
 * process waiting on SQLite's busy handler would block the event loop that the first one needs to finish.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url);
  const readonly = options.readonly === true;
  if (!location.memory) prepareFile(location, readonly);

  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: location.filename, options: { readonly } },
    useNullAsDefault: true,
    // knex would print connection errors (with stacks) to the console; rosterd reports them as RosterdErrors.
    log: { warn: noop, error: noop, deprecate: noop, debug: noop },
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: Database, done: (err: Error | null, conn: Database) => void) {
        try {
          // A second process (CLI sync next to the daemon) waits for the writer instead of failing at once.
          conn.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
          if (!readonly) {
            // WAL: readers never block the writer; NORMAL is durable across process crashes in WAL mode.
            conn.pragma('journal_mode = WAL');
            conn.pragma('synchronous = NORMAL');
          }
          conn.pragma('foreign_keys = ON');
          // A district's snapshot is hundreds of MB: SQLite's default 2 MB page cache turns its joins into disk
          // reads. 128 MB keeps the working set in memory and the process well under its 1 GiB budget.
          conn.pragma(`cache_size = -${STORE_CACHE_KIB}`);
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });

  try {
    await knex.raw('select 1');
    if (readonly) await checkSchemaCurrent(knex, url);
    else await migrate(knex, url, options.migrationLockWaitMs ?? DEFAULT_MIGRATION_LOCK_WAIT_MS);
  } catch (err) {
    await knex.destroy().catch(() => undefined);
    if (err instanceof RosterdError) throw err;
    throw new RosterdError('ROSTERD_STORE_OPEN_FAILED', `cannot open the store ${describeLocation(location)}: ${errorText(err)}`, {
      hint: 'check that storage.url points at a rosterd SQLite file (or a new path) that this user can read and write.',
      dataEffect: 'nothing changed',
      cause: err,
    });
  }

  const runs = new RunLog(knex, options);
  return {
    knex,
    url,
    dialect: 'sqlite',
    runs,
    async close() {
      runs.stopHeartbeats();
      await knex.destroy();
    },
  };
}

/** Creates the folder (owner-only: the store holds students' personal data) and an owner-only empty file. */
function prepareFile(location: StoreLocation, readonly: boolean): void {
  const folder = dirname(location.filename);
  if (readonly) {
    if (!existsSync(location.filename)) {
      throw new RosterdError('ROSTERD_STORE_NOT_FOUND', `the store file ${location.filename} does not exist`, {
        hint: 'run `rosterd sync` first, or point storage.url at the file the daemon uses.',
        dataEffect: 'nothing changed',
      });
    }
    return;
  }
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    // SQLite gives the -wal and -shm files the main file's permissions, so this covers all three.
    if (!existsSync(location.filename)) closeSync(openSync(location.filename, 'a', 0o600));
  } catch (err) {
    throw new RosterdError('ROSTERD_STORE_OPEN_FAILED', `cannot create the store ${location.filename} in folder ${folder}: ${errorText(err)}`, {
      hint: `make ${folder} writable by this user, or set storage.url to a writable path.`,
      dataEffect: 'nothing changed',
      cause: err,
    });
  }
}

async function migrate(knex: Knex, url: string, lockWaitMs: number): Promise<void> {
  const config: Knex.MigratorConfig = { migrationSource, tableName: MIGRATIONS_TABLE };
  const deadline = Date.now() + lockWaitMs;
  await ensureMigrationTables(knex);
  for (;;) {
    try {
      // The common path (schema current) only reads, so many processes can open one file at once.
      const [, pending] = (await knex.migrate.list(config)) as [unknown[], unknown[]];
      if (pending.length === 0) return;
      await knex.migrate.latest(config);
      return;
    } catch (err) {
      const name = (err as { name?: string }).name;
      const locked = name === 'MigrationLocked' || /already locked/i.test(errorText(err));
      if (locked && Date.now() < deadline) {
        await sleep(200);
        continue;
      }
      if (locked) {
        throw new RosterdError('ROSTERD_STORE_MIGRATION_LOCKED', `the store ${url} has been locked for a schema upgrade for over ${Math.round(lockWaitMs / 1000)} s`, {
          hint: `if no other rosterd is starting, an earlier upgrade was interrupted: clear it with \`sqlite3 FILE "UPDATE ${MIGRATIONS_TABLE}_lock SET is_locked = 0"\` and start again.`,
          dataEffect: 'nothing changed',
          cause: err,
        });
      }
      throw tooNewOr(err, url);
    }
  }
}

/**
 * knex creates its bookkeeping tables with "check, then create", which races when two processes open a new
 * file at once (a CLI sync next to a starting daemon). Creating them here, in one transaction whose first
 * statement is a write, makes the second process wait for the first and then find them. Same shape as knex's.
 */
async function ensureMigrationTables(knex: Knex): Promise<void> {
  const lockTable = `${MIGRATIONS_TABLE}_lock`;
  await knex.transaction(async (trx) => {
    await trx.schema.createTableIfNotExists(MIGRATIONS_TABLE, (t) => {
      t.increments();
      t.string('name');
      t.integer('batch');
      t.timestamp('migration_time');
    });
    await trx.schema.createTableIfNotExists(lockTable, (t) => {
      t.increments('index').primary();
      t.integer('is_locked');
    });
    const rows = (await trx(lockTable).select('index')) as unknown[];
    if (rows.length === 0) await trx(lockTable).insert({ is_locked: 0 });
  });
}

async function checkSchemaCurrent(knex: Knex, url: string): Promise<void> {
  let pending: unknown[];
  try {
    [, pending] = (await knex.migrate.list({ migrationSource, tableName: MIGRATIONS_TABLE })) as [unknown[], unknown[]];
  } catch (err) {
    throw tooNewOr(err, url);
  }
  if (pending.length > 0) {
    throw new RosterdError('ROSTERD_STORE_OUTDATED', `the store ${url} was written by an older rosterd and needs a schema upgrade, which a read-only open cannot do`, {
      hint: 'run `rosterd sync` (or start the daemon) once with this version to upgrade it.',
      dataEffect: 'nothing changed',
    });
  }
}

/** knex reports migrations in the table but not in the code as a "corrupt directory": here it means a newer rosterd. */
function tooNewOr(err: unknown, url: string): unknown {
  if (/migration directory is corrupt|files are missing/i.test(errorText(err))) {
    return new RosterdError('ROSTERD_STORE_TOO_NEW', `the store ${url} was upgraded by a newer rosterd than this one`, {
      hint: 'run the newer rosterd version, or point storage.url at another file.',
      dataEffect: 'nothing changed',
      cause: err,
    });
  }
  return err;
}

function describeLocation(location: StoreLocation): string {
  return location.memory ? '(in memory)' : location.filename;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function noop(): void {}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
