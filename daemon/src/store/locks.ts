import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';

/**
 * One writer per (integration, job), across processes sharing one store: a row in `job_locks`, taken and
 * released inside write transactions. SQLite serialises writers, so "read the holder, then insert" cannot race
 * once the transaction holds the write lock, which `claimWriter` takes before anything is read.
 */
export interface LockHolder {
  integration: string;
  job: string;
  runId: number;
  pid: number;
  host: string;
  token: string;
  acquiredAt: string;
  heartbeatAt: string;
}

export const LOCK_TABLE = 'job_locks';

interface LockRow {
  integration: string;
  job: string;
  run_id: number;
  pid: number;
  host: string;
  token: string;
  acquired_at: string;
  heartbeat_at: string;
}

/** pid + hostname + a random token: the pid alone is reused, and two hosts can share a network volume. */
export function newHolderIdentity(): { pid: number; host: string; token: string } {
  return { pid: process.pid, host: hostname(), token: randomBytes(16).toString('hex') };
}

/**
 * Makes the transaction a write transaction before it reads anything (BEGIN IMMEDIATE semantics). Under WAL a
 * transaction that reads first and writes later fails with SQLITE_BUSY instead of waiting when another process
 * wrote in between; a write first makes SQLite's busy handler queue us behind the other writer instead.
 */
export async function claimWriter(trx: Knex.Transaction, integration: string, job: string): Promise<void> {
  await trx(LOCK_TABLE).where({ integration, job }).update({ integration });
}

export async function readHolder(trx: Knex.Transaction | Knex, integration: string, job: string): Promise<LockHolder | null> {
  const row = (await trx(LOCK_TABLE).where({ integration, job }).first()) as LockRow | undefined;
  return row ? fromRow(row) : null;
}

export async function insertLock(trx: Knex.Transaction, holder: LockHolder): Promise<void> {
  await trx(LOCK_TABLE).insert({
    integration: holder.integration,
    job: holder.job,
    run_id: holder.runId,
    pid: holder.pid,
    host: holder.host,
    token: holder.token,
    acquired_at: holder.acquiredAt,
    heartbeat_at: holder.heartbeatAt,
  });
}

export async function deleteLock(trx: Knex.Transaction, integration: string, job: string): Promise<void> {
  await trx(LOCK_TABLE).where({ integration, job }).delete();
}

/** Releases the lock a run holds; a no-op when another run already took it over. */
export async function releaseLockOfRun(trx: Knex.Transaction | Knex, runId: number, token?: string): Promise<number> {
  const query = trx(LOCK_TABLE).where({ run_id: runId });
  if (token) query.andWhere({ token });
  return query.delete();
}

/** Refreshes the heartbeat; returns false when the run no longer holds the lock (it was taken over). */
export async function touchLock(db: Knex.Transaction | Knex, runId: number, token: string | undefined, at: string): Promise<boolean> {
  const query = db(LOCK_TABLE).where({ run_id: runId });
  if (token) query.andWhere({ token });
  return (await query.update({ heartbeat_at: at })) > 0;
}

export type Liveness = { alive: true } | { alive: false; reason: string };

/**
 * A holder is dead when its process is gone from this host, or (any host) when it has not beaten for `staleMs`.
 * The heartbeat rule covers holders on other hosts and a pid reused by an unrelated process after a crash.
 */
export function holderLiveness(holder: LockHolder, options: { staleMs: number; now: number; host?: string }): Liveness {
  const thisHost = options.host ?? hostname();
  if (holder.host === thisHost && holder.pid !== process.pid && !pidExists(holder.pid)) {
    return { alive: false, reason: `its process (pid ${holder.pid} on host ${holder.host}) is gone` };
  }
  const beat = Date.parse(holder.heartbeatAt);
  const silentMs = options.now - (Number.isNaN(beat) ? 0 : beat);
  if (silentMs > options.staleMs) {
    return { alive: false, reason: `its process (pid ${holder.pid} on host ${holder.host}) sent no heartbeat for ${Math.round(silentMs / 1000)} s` };
  }
  return { alive: true };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function fromRow(row: LockRow): LockHolder {
  return {
    integration: row.integration,
    job: row.job,
    runId: Number(row.run_id),
    pid: Number(row.pid),
    host: row.host,
    token: row.token,
    acquiredAt: row.acquired_at,
    heartbeatAt: row.heartbeat_at,
  };
}
