import { join } from 'node:path';
import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../daemon/src/store/db.js';
import type { RunIssue } from '../../daemon/src/store/runs.js';
import { RosterdError } from '../../daemon/src/errors.js';
import { compileStoreForChildren, makeTempDir } from './helpers.js';
import { spawnStoreChild, writeChildScript } from './child.js';

let tmp: ReturnType<typeof makeTempDir>;
let fileNo = 0;
const opened: Store[] = [];

beforeAll(() => {
  tmp = makeTempDir();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(() => tmp.cleanup());

function freshUrl(): string {
  fileNo += 1;
  return `sqlite:${join(tmp.dir, `runs-${fileNo}.db`)}`;
}

async function open(url: string, options: Parameters<typeof openStore>[1] = {}): Promise<Store> {
  const store = await openStore(url, options);
  opened.push(store);
  return store;
}

async function rejection(promise: Promise<unknown>): Promise<RosterdError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RosterdError);
  return err as RosterdError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('run lifecycle', () => {
  it('records a run from start to finish with counts and issues', async () => {
    const store = await open(freshUrl());
    const run = await store.runs.start({ integration: 'springfield', job: 'classes', trigger: 'schedule' });
    expect(run).toMatchObject({ integration: 'springfield', job: 'classes', trigger: 'schedule', status: 'running', endedAt: null, counts: null, issueCount: 0 });
    expect(Date.parse(run.startedAt)).not.toBeNaN();
    expect(await store.runs.lastRun('springfield', 'classes')).toMatchObject({ id: run.id, status: 'running' });

    const issues: RunIssue[] = Array.from({ length: 1500 }, (_, i) => ({
      rule: i % 2 ? 'user-without-email' : 'class-without-teacher',
      severity: i % 3 === 0 ? 'warn' : 'info',
      recordKind: i % 5 === 0 ? null : 'user',
      recordId: i % 5 === 0 ? null : `u${i}`,
      message: `issue ${i}: Māori name O'Brien`,
    }));
    await store.runs.addIssues(run.id, issues.slice(0, 1000));
    await store.runs.addIssues(run.id, issues.slice(1000));
    await store.runs.addIssues(run.id, []);

    const counts = { classes: { created: 3, updated: 1, deleted: 0, unchanged: 7 }, teachers: { created: 2, updated: 0, deleted: 1 } };
    await store.runs.finish(run.id, { status: 'succeeded_with_issues', counts });

    const got = await store.runs.get(run.id);
    expect(got).toMatchObject({ id: run.id, status: 'succeeded_with_issues', counts, issueCount: 1500, errorCode: null, errorMessage: null });
    expect(got!.endedAt! >= got!.startedAt).toBe(true);
    expect(got!.issues).toEqual(issues); // in the order they were added, nulls kept
    expect(await store.knex('job_locks').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('records failures with their code and message, and refuses to finish a run twice', async () => {
    const store = await open(freshUrl());
    const run = await store.runs.start({ integration: 'a', job: 'students', trigger: 'api' });
    await store.runs.finish(run.id, { status: 'failed', errorCode: 'ROSTERD_SIS_AUTH_FAILED', errorMessage: 'token refused' });
    expect(await store.runs.get(run.id)).toMatchObject({ status: 'failed', errorCode: 'ROSTERD_SIS_AUTH_FAILED', errorMessage: 'token refused', counts: null, issues: [] });
    const again = await rejection(store.runs.finish(run.id, { status: 'succeeded' }));
    expect(again.code).toBe('ROSTERD_RUN_NOT_RUNNING');
    expect(again.message).toContain('failed');
    expect((await rejection(store.runs.finish(999, { status: 'succeeded' }))).message).toContain('no such run');
    expect((await rejection(store.runs.addIssues(999, [{ rule: 'r', severity: 'warn', recordKind: null, recordId: null, message: 'm' }]))).code).toBe('ROSTERD_RUN_NOT_FOUND');
    expect(await store.runs.get(999)).toBeNull();
  });

  it('lists newest first, filters, and finds the last run with a status', async () => {
    const store = await open(freshUrl());
    const plan: Array<[string, 'classes' | 'students', 'succeeded' | 'failed' | 'held' | 'interrupted']> = [
      ['a', 'classes', 'succeeded'],
      ['a', 'students', 'failed'],
      ['b', 'classes', 'held'],
      ['a', 'classes', 'failed'],
      ['a', 'classes', 'interrupted'],
    ];
    const ids: number[] = [];
    for (const [integration, job, status] of plan) {
      const run = await store.runs.start({ integration, job, trigger: 'manual' });
      await store.runs.finish(run.id, { status });
      ids.push(run.id);
    }
    expect((await store.runs.list()).map((r) => r.id)).toEqual([...ids].reverse());
    expect((await store.runs.list({ integration: 'a' })).map((r) => r.id)).toEqual([ids[4], ids[3], ids[1], ids[0]]);
    expect((await store.runs.list({ integration: 'a', job: 'classes', limit: 2 })).map((r) => r.id)).toEqual([ids[4], ids[3]]);
    expect((await store.runs.list({ job: 'students' })).map((r) => r.id)).toEqual([ids[1]]);
    expect((await store.runs.lastRun('a', 'classes'))?.id).toBe(ids[4]);
    expect((await store.runs.lastRun('a', 'classes', ['succeeded', 'succeeded_with_issues']))?.id).toBe(ids[0]);
    expect((await store.runs.lastRun('a', 'classes', ['failed']))?.id).toBe(ids[3]);
    expect(await store.runs.lastRun('b', 'students')).toBeNull();
  });

  it('keeps a plan for a held run and prunes old finished runs with their issues and plans', async () => {
    const store = await open(freshUrl());
    const old = await store.runs.start({ integration: 'a', job: 'classes', trigger: 'manual' });
    await store.runs.addIssues(old.id, [{ rule: 'r', severity: 'block', recordKind: 'class', recordId: 'c1', message: 'm' }]);
    await store.runs.savePlan(old.id, { deletes: { students: ['s1', 's2'] } });
    await store.runs.finish(old.id, { status: 'held' });
    expect(await store.runs.getPlan(old.id)).toEqual({ deletes: { students: ['s1', 's2'] } });
    await store.runs.savePlan(old.id, { deletes: {} }); // replaced, not duplicated
    expect(await store.runs.getPlan(old.id)).toEqual({ deletes: {} });
    const running = await store.runs.start({ integration: 'a', job: 'students', trigger: 'manual' });
    const recent = await store.runs.start({ integration: 'b', job: 'classes', trigger: 'manual' });
    await store.runs.finish(recent.id, { status: 'succeeded' });
    await store.knex('runs').whereIn('id', [old.id, running.id]).update({ started_at: '2020-01-01T00:00:00.000Z' });

    expect(await store.runs.prune(new Date('2021-01-01T00:00:00Z'))).toBe(1);
    expect((await store.runs.list()).map((r) => r.id).sort()).toEqual([running.id, recent.id].sort());
    expect(await store.knex('run_issues').where({ run_id: old.id })).toEqual([]);
    expect(await store.runs.getPlan(old.id)).toBeNull();
  });
});

describe('one writer per integration and job', () => {
  it('refuses a second run of the same job from another store on the same file, naming the holder', async () => {
    const url = freshUrl();
    const a = await open(url);
    const b = await open(url);
    const first = await a.runs.start({ integration: 'springfield', job: 'classes', trigger: 'schedule' });
    const err = await rejection(b.runs.start({ integration: 'springfield', job: 'classes', trigger: 'manual' }));
    expect(err.code).toBe('ROSTERD_JOB_RUNNING');
    expect(err.message).toContain('a classes sync of springfield is already running');
    expect(err.message).toContain(`run ${first.id}, pid ${process.pid} on host ${hostname()}, started ${first.startedAt}`);
    expect(err.dataEffect).toBe('nothing changed');
    expect(err.describe()).toContain('Fix: wait for it');
    // Nothing was written by the refused start.
    expect((await b.runs.list()).map((r) => r.id)).toEqual([first.id]);

    // Other jobs and other integrations are independent.
    const students = await b.runs.start({ integration: 'springfield', job: 'students', trigger: 'manual' });
    const other = await b.runs.start({ integration: 'shelbyville', job: 'classes', trigger: 'manual' });
    await b.runs.finish(students.id, { status: 'succeeded' });
    await b.runs.finish(other.id, { status: 'succeeded' });

    await a.runs.finish(first.id, { status: 'succeeded' });
    const next = await b.runs.start({ integration: 'springfield', job: 'classes', trigger: 'manual' });
    expect(next.id).toBeGreaterThan(first.id);
    await b.runs.finish(next.id, { status: 'succeeded' });
  });

  it('waits for the holder when asked, up to a timeout', async () => {
    const url = freshUrl();
    const a = await open(url);
    const b = await open(url, { waitPollMs: 50 });
    const first = await a.runs.start({ integration: 'x', job: 'students', trigger: 'schedule' });

    const began = Date.now();
    const timedOut = await rejection(b.runs.start({ integration: 'x', job: 'students', trigger: 'manual', wait: { timeoutMs: 300 } }));
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(timedOut.code).toBe('ROSTERD_JOB_RUNNING');
    expect(timedOut.message).toContain('after waiting');

    setTimeout(() => void a.runs.finish(first.id, { status: 'succeeded' }), 300);
    const second = await b.runs.start({ integration: 'x', job: 'students', trigger: 'manual', wait: true });
    expect(second.id).toBeGreaterThan(first.id);
    expect((await b.runs.get(first.id))?.status).toBe('succeeded');
  });

  it('keeps a live run alive with automatic heartbeats', async () => {
    const url = freshUrl();
    const a = await open(url, { lockStaleMs: 1000, heartbeatIntervalMs: 100 });
    const b = await open(url, { lockStaleMs: 1000 });
    const run = await a.runs.start({ integration: 'x', job: 'classes', trigger: 'manual' });
    await sleep(1600); // without heartbeats the holder would be stale by now
    expect((await rejection(b.runs.start({ integration: 'x', job: 'classes', trigger: 'manual' }))).code).toBe('ROSTERD_JOB_RUNNING');
    await a.runs.finish(run.id, { status: 'succeeded' });
  });

  it('takes over from a holder whose heartbeat went stale, and marks its run failed', async () => {
    const url = freshUrl();
    // The old holder's heartbeat is effectively off, as in a hung or partitioned process.
    const a = await open(url, { heartbeatIntervalMs: 3_600_000 });
    const b = await open(url, { lockStaleMs: 200 });
    const stale = await a.runs.start({ integration: 'x', job: 'classes', trigger: 'schedule' });
    await sleep(350);
    const fresh = await b.runs.start({ integration: 'x', job: 'classes', trigger: 'manual' });

    const abandoned = await b.runs.get(stale.id);
    expect(abandoned).toMatchObject({ status: 'failed', errorCode: 'ROSTERD_RUN_ABANDONED' });
    expect(abandoned!.endedAt).not.toBeNull();
    expect(abandoned!.errorMessage).toContain('no heartbeat');
    expect(abandoned!.errorMessage).toContain(`run ${fresh.id} took over`);

    // The old holder can no longer heartbeat, apply or finish: its successor owns the job.
    expect((await rejection(a.runs.heartbeat(stale.id))).code).toBe('ROSTERD_RUN_LOCK_LOST');
    expect((await rejection(a.knex.transaction((trx) => a.runs.assertHolding(trx, stale.id)))).code).toBe('ROSTERD_RUN_LOCK_LOST');
    expect((await rejection(a.runs.finish(stale.id, { status: 'succeeded' }))).code).toBe('ROSTERD_RUN_NOT_RUNNING');
    await b.knex.transaction((trx) => b.runs.assertHolding(trx, fresh.id));
    await b.runs.finish(fresh.id, { status: 'succeeded' });
    expect((await b.runs.get(stale.id))?.status).toBe('failed');
  });
});

describe('locks across processes', () => {
  let dbModule: string;
  let script: string;
  beforeAll(() => {
    dbModule = compileStoreForChildren();
    script = writeChildScript(tmp.dir);
  });

  it('refuses while another process holds the job, then starts once it finishes', async () => {
    const url = freshUrl();
    const child = spawnStoreChild(script, dbModule, url, 'hold');
    const { runId, pid } = (await child.ready) as { runId: number; pid: number };
    const store = await open(url);
    const err = await rejection(store.runs.start({ integration: 'springfield', job: 'classes', trigger: 'manual' }));
    expect(err.code).toBe('ROSTERD_JOB_RUNNING');
    expect(err.message).toContain(`run ${runId}, pid ${pid} on host ${hostname()}`);

    child.proc.stdin!.write('finish\n');
    expect(JSON.parse((await child.lines.next()).value as string)).toEqual({ finished: runId });
    expect(await child.exited).toBe(0);
    const mine = await store.runs.start({ integration: 'springfield', job: 'classes', trigger: 'manual' });
    expect((await store.runs.get(runId))?.status).toBe('succeeded');
    await store.runs.finish(mine.id, { status: 'succeeded' });
  });

  it('a waiting process starts right after the holder finishes', async () => {
    const url = freshUrl();
    const store = await open(url);
    const mine = await store.runs.start({ integration: 'springfield', job: 'students', trigger: 'schedule' });
    const child = spawnStoreChild(script, dbModule, url, 'wait', 'springfield', 'students');
    await sleep(700); // the child is waiting on our lock
    await store.runs.finish(mine.id, { status: 'succeeded' });
    const { runId } = (await child.ready) as { runId: number };
    expect(runId).toBeGreaterThan(mine.id);
    child.proc.stdin!.write('finish\n');
    expect(await child.exited).toBe(0);
    expect((await store.runs.get(runId))?.status).toBe('succeeded');
  });

  it('takes over at once from a holder process that was killed, and marks its run failed', async () => {
    const url = freshUrl();
    const child = spawnStoreChild(script, dbModule, url, 'crash');
    const { runId, pid } = (await child.ready) as { runId: number; pid: number };
    await child.exited; // SIGKILL: no finish, no cleanup, the lock row stays behind
    const store = await open(url); // default 2-minute staleness: only the pid check can free it
    expect((await store.runs.get(runId))?.status).toBe('running');
    const mine = await store.runs.start({ integration: 'springfield', job: 'classes', trigger: 'manual' });
    const dead = await store.runs.get(runId);
    expect(dead).toMatchObject({ status: 'failed', errorCode: 'ROSTERD_RUN_ABANDONED' });
    expect(dead!.errorMessage).toContain(`pid ${pid}`);
    expect(dead!.errorMessage).toContain('is gone');
    expect(await store.runs.list({ integration: 'springfield', job: 'classes' })).toSatisfy((runs: Array<{ status: string }>) => runs.filter((r) => r.status === 'running').length === 1);
    await store.runs.finish(mine.id, { status: 'succeeded' });
  });
});
