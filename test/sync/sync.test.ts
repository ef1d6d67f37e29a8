import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startSim, type Faults, type RunningSim } from '../../daemon/src/sim/index.js';
import { todayIn } from '../../daemon/src/sync/today.js';
import { runCli } from '../helpers/cli.js';
import { integrationYaml, writeTestConfig } from '../helpers/config.js';
import { expectExportsEqual } from './roster-equality.js';

/**
 * The sync end to end: the real CLI as a child process, the simulated SIS over HTTP on loopback, a real
 * SQLite file; the exported roster must equal what the generated district says it must be.
 */

let sim: RunningSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function syncAndExport(version: '1.1' | '1.2', faults: Partial<Faults> = {}) {
  sim = await startSim({ version, size: 'tiny', seed: 7, faults });
  const cfg = await writeTestConfig(sim, { version, pageSize: 7 });
  const sync = await runCli(['sync', '-c', cfg.file]);
  expect(sync.stderr).not.toMatch(/at .*\.js:\d+/); // never a stack trace
  expect(sync.code, sync.stderr + sync.stdout).toBe(0);
  const out = join(cfg.dir, 'out');
  const exported = await runCli(['export', '-c', cfg.file, '--out', out]);
  expect(exported.code, exported.stderr).toBe(0);
  return { cfg, out, sync };
}

function collidingClasses(s: RunningSim): string[] {
  return [...s.district.awkward.collidingClasses];
}

describe.each(['1.1', '1.2'] as const)('sync over OneRoster %s', (version) => {
  it('exports exactly the roster the district says it must be', async () => {
    const { out, sync } = await syncAndExport(version);
    expect(sync.stdout).toMatch(/springfield classes: succeeded/);
    expect(sync.stdout).toMatch(/springfield students: succeeded/);
    await expectExportsEqual(out, sim!.district.expected(todayIn('UTC')), { suffix: '2026', collidingClasses: collidingClasses(sim!) });
  });

  const faults: [string, Partial<Faults>][] = [
    ['a clamped limit without paging headers', { clampLimit: 3, omitTotalCount: true, omitLink: true }],
    ['a clamped limit with headers', { clampLimit: 4 }],
    ['429 with Retry-After', { rateLimitEvery: 5, retryAfterSeconds: 1 }],
    ['503s', { unavailableEvery: 4 }],
    ['connection resets', { resetEvery: 6 }],
    ['tokens that expire early', { tokenTtlSeconds: 1, expireTokensEarly: true, latencyMs: 30 }],
    ['latency', { latencyMs: 20 }],
    ['a load balancer that needs its affinity cookie back', { stickySessions: true }],
  ];
  it.each(faults)('loses and repeats nothing with %s', async (_name, fault) => {
    const { out } = await syncAndExport(version, fault);
    await expectExportsEqual(out, sim!.district.expected(todayIn('UTC')), { suffix: '2026', collidingClasses: collidingClasses(sim!) });
  });
});

describe('re-sync', () => {
  it('an unchanged re-sync writes no roster rows', async () => {
    const { cfg } = await syncAndExport('1.2');
    const db = join(cfg.dir, 'rosterd.db');
    const before = rosterRows(db);
    const again = await runCli(['sync', '-c', cfg.file, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const runs = JSON.parse(again.stdout).runs as { counts: Record<string, { created: number; updated: number; deleted: number }> }[];
    for (const run of runs) for (const c of Object.values(run.counts)) expect([c.created, c.updated, c.deleted]).toEqual([0, 0, 0]);
    // Same rows with the same rowids: nothing was deleted and re-inserted.
    expect(rosterRows(db)).toEqual(before);
  });

  it('applies removals, renames and tobedeleted records from the next read', async () => {
    const { cfg, out } = await syncAndExport('1.2');
    const effect = sim!.setMutation({ removeStudents: 2, renameCourses: 1, renameUsers: 1, markToBeDeleted: { users: 1, classes: 1, enrollments: 1 } });
    const again = await runCli(['sync', '-c', cfg.file, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const [classes, students] = JSON.parse(again.stdout).runs;
    expect(classes.counts.classes.updated + classes.counts.classes.deleted).toBeGreaterThan(0);
    expect(students.counts.students.deleted).toBeGreaterThanOrEqual(effect.removedStudents.length);
    expect(students.counts.students.updated).toBeGreaterThanOrEqual(1);
    const exported = await runCli(['export', '-c', cfg.file, '--out', out]);
    expect(exported.code).toBe(0);
    await expectExportsEqual(out, sim!.district.expected(todayIn('UTC')), { suffix: '2026', collidingClasses: collidingClasses(sim!) });
  });
});

describe('classes before students', () => {
  it('after a classes run deletes a class, the exports show none of its members, before the students run catches up', async () => {
    const { cfg, out } = await syncAndExport('1.2');
    const effect = sim!.setMutation({ markToBeDeleted: { classes: 1 } });
    const gone = effect.toBeDeleted.classes[0]!;
    const db = join(cfg.dir, 'rosterd.db');
    expect(rosterRows(db).memberships.some((m) => (m as unknown as { class_id: string }).class_id === gone && m.role === 'student')).toBe(true);
    const classesRun = await runCli(['sync', '-c', cfg.file, '--job', 'classes']);
    expect(classesRun.code, classesRun.stderr + classesRun.stdout).toBe(0);
    // The store still has the students' memberships (the students job owns them) ...
    expect(rosterRows(db).memberships.some((m) => (m as unknown as { class_id: string }).class_id === gone && m.role === 'student')).toBe(true);
    // ... but the platform's files never list members of a class that is not there.
    expect((await runCli(['export', '-c', cfg.file, '--out', out])).code).toBe(0);
    const classes = await readFile(join(out, 'classes.csv'), 'utf8');
    const enrollments = await readFile(join(out, 'enrollments.csv'), 'utf8');
    expect(classes).not.toContain(gone);
    expect(enrollments).not.toContain(gone);
    expect((await runCli(['sync', '-c', cfg.file, '--job', 'students'])).code).toBe(0);
    expect(rosterRows(db).memberships.some((m) => (m as unknown as { class_id: string }).class_id === gone)).toBe(false);
  });
});

describe('failures change nothing', () => {
  it('a sync killed mid-run leaves the stored roster exactly as it was', async () => {
    const { cfg } = await syncAndExport('1.2');
    const db = join(cfg.dir, 'rosterd.db');
    const before = rosterRows(db);
    // Within the default deletion limits, so the sync after the kill applies on its own.
    sim!.setMutation({ removeStudents: 2, renameCourses: 2 });
    sim!.setFaults({ latencyMs: 150 });
    let pid = 0;
    const killed = runCli(['sync', '-c', cfg.file], { onSpawn: (p) => (pid = p) });
    // With 150 ms a page, the read takes seconds: kill while the classes run is reading the SIS.
    await waitFor(async () => (await runningRun(db)) !== null, 20_000);
    await new Promise((r) => setTimeout(r, 400));
    process.kill(pid, 'SIGKILL');
    const result = await killed;
    expect(result.signal).toBe('SIGKILL');
    expect(rosterRows(db)).toEqual(before);

    // The next sync marks the dead run failed instead of leaving it `running`, and then succeeds.
    sim!.setFaults({ latencyMs: 0 });
    const next = await runCli(['sync', '-c', cfg.file]);
    expect(next.code, next.stderr).toBe(0);
    const logs = JSON.parse((await runCli(['logs', '-c', cfg.file, '--json'])).stdout).runs as { status: string }[];
    expect(logs.some((r) => r.status === 'running')).toBe(false);
    expect(logs.some((r) => r.status === 'failed')).toBe(true);
    // The killed process's staging tables were cleared by the next sync.
    expect(stagingTables(db)).toEqual([]);
  });

  it('a students job before any classes job fails with a clear message', async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 3 });
    const cfg = await writeTestConfig(sim);
    const r = await runCli(['sync', '-c', cfg.file, '--job', 'students']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/classes synced first/);
    expect(r.stdout + r.stderr).toMatch(/--job classes/);
  });

  it('an orgId the SIS does not have fails with ROSTERD_SIS_ORG_NOT_FOUND and changes nothing', async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 3 });
    const cfg = await writeTestConfig(sim, { orgId: 'no-such-org' });
    const r = await runCli(['sync', '-c', cfg.file]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/ROSTERD_SIS_ORG_NOT_FOUND/);
    expect(r.stdout + r.stderr).toMatch(/roster unchanged/);
    expect(rosterRows(join(cfg.dir, 'rosterd.db')).classes).toEqual([]);
  });

  it('a SIS that suddenly returns no enrollments holds the run and keeps the roster', async () => {
    const { cfg } = await syncAndExport('1.2');
    const db = join(cfg.dir, 'rosterd.db');
    const before = rosterRows(db);
    sim!.setFaults({ emptyCollections: ['enrollments'] });
    const r = await runCli(['sync', '-c', cfg.file]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/classes: held/);
    expect(r.stdout).toMatch(/the SIS returned no enrollments, where the store holds \d+/);
    expect(r.stdout).toMatch(/nothing applied/);
    expect(rosterRows(db)).toEqual(before);
  });

  it('a read that fails part-way fails the run and keeps the roster', async () => {
    const { cfg } = await syncAndExport('1.2');
    const db = join(cfg.dir, 'rosterd.db');
    const before = rosterRows(db);
    sim!.setFaults({ failCollectionsAfter: { enrollments: 20 } });
    const r = await runCli(['sync', '-c', cfg.file]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/ROSTERD_SIS_UNAVAILABLE/);
    expect(r.stdout + r.stderr).toMatch(/roster unchanged/);
    expect(rosterRows(db)).toEqual(before);
  });

  it('a read that ends short of X-Total-Count fails the run and keeps the roster', async () => {
    const { cfg } = await syncAndExport('1.2');
    const db = join(cfg.dir, 'rosterd.db');
    const before = rosterRows(db);
    sim!.setFaults({ shortCollections: { users: 10 } });
    const r = await runCli(['sync', '-c', cfg.file]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/ROSTERD_SIS_SHORT_READ/);
    expect(rosterRows(db)).toEqual(before);
  });
});

describe('logs', () => {
  it('lists runs newest first with the next scheduled runs, and shows one run with its issues', async () => {
    const { cfg } = await syncAndExport('1.2');
    const text = await runCli(['logs', '-c', cfg.file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^springfield: next classes \d{4}-\d\d-\d\dT22:00:00\.000Z, next students \d{4}-\d\d-\d\dT00:00:00\.000Z \(schedule in UTC\)$/m);
    expect(text.stdout).toMatch(/^2 +springfield +students +manual +succeeded_with_issues/m);
    const list = JSON.parse((await runCli(['logs', '-c', cfg.file, '--json'])).stdout);
    expect(list.runs.map((r: { id: number }) => r.id)).toEqual([2, 1]);
    expect(list.schedule[0].nextRuns.classes).toMatch(/T22:00:00.000Z$/);
    const one = await runCli(['logs', '-c', cfg.file, '1']);
    expect(one.stdout).toMatch(/^Run 1: springfield classes \(manual\)$/m);
    expect(one.stdout).toMatch(/\[warn\] class_without_teacher: class ".+" \(cls-\d+\) has no current teacher/);
    const missing = await runCli(['logs', '-c', cfg.file, '99']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no run 99 in the data log/);
  });
});

describe('preview', () => {
  it('writes the same files a sync would, and changes nothing', async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 11 });
    const cfg = await writeTestConfig(sim);
    const out = join(cfg.dir, 'preview');
    const r = await runCli(['preview', '-c', cfg.file, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/nothing was changed/);
    await expectExportsEqual(out, sim.district.expected(todayIn('UTC')), { suffix: '2026', collidingClasses: collidingClasses(sim) });
    // No store was created where the config points.
    await expect(stat(join(cfg.dir, 'rosterd.db'))).rejects.toThrow();
  });
});

describe('secrets', () => {
  it('the client secret appears nowhere: stdout, stderr, exports, data log, database file', async () => {
    const canary = 'canary-Zx9-SECRET-do-not-leak';
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 5, clientSecret: canary });
    const cfg = await writeTestConfig(sim);
    const outputs: string[] = [];
    for (const args of [
      ['sync', '-c', cfg.file],
      ['sync', '-c', cfg.file, '--json'],
      ['logs', '-c', cfg.file],
      ['logs', '-c', cfg.file, '1', '--json'],
      ['export', '-c', cfg.file, '--out', join(cfg.dir, 'out')],
      ['preview', '-c', cfg.file, '--out', join(cfg.dir, 'preview')],
    ]) {
      const r = await runCli(args);
      outputs.push(r.stdout, r.stderr);
    }
    // A failing run too: the SIS rejects the secret, and the error must not echo it.
    await (await import('node:fs/promises')).writeFile(cfg.secretFile, `${canary}-wrong`);
    const bad = await runCli(['sync', '-c', cfg.file]);
    expect(bad.code).toBe(1);
    outputs.push(bad.stdout, bad.stderr);
    for (const text of outputs) expect(text).not.toContain(canary);
    for (const file of await listFiles(cfg.dir)) {
      if (file === cfg.secretFile) continue;
      expect((await readFile(file)).includes(canary), file).toBe(false);
    }
  });
});

type Rows = { schools: unknown[]; classes: unknown[]; users: { role: string }[]; memberships: { role: string }[] };

function rosterRows(file: string): Rows {
  const db = new Database(file, { readonly: true, fileMustExist: false });
  try {
    const all = (table: string) => db.prepare(`SELECT rowid AS _rowid, * FROM ${table} ORDER BY rowid`).all();
    return {
      schools: all('roster_schools'),
      classes: all('roster_classes'),
      users: all('roster_users') as { role: string }[],
      memberships: all('roster_memberships') as { role: string }[],
    };
  } catch {
    return { schools: [], classes: [], users: [], memberships: [] };
  } finally {
    db.close();
  }
}

function stagingTables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'stage_%'`).all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

async function runningRun(file: string): Promise<unknown> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT id FROM runs WHERE status = 'running'`).get() ?? null;
  } catch {
    return null;
  } finally {
    db.close();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting');
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out;
}

describe('several integrations and concurrent runs', () => {
  it('syncs every enabled integration and exports one subfolder each', async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 31 });
    const other = await startSim({ version: '1.1', size: 'tiny', seed: 32, clientSecret: sim.clientSecret });
    try {
      const second = `${integrationYaml(other, { name: 'shelbyville', version: '1.1' })}  - name: disabled
    enabled: false
    sis:
      version: "1.2"
      tokenUrl: http://127.0.0.1:9/oauth/token
      urlPrefix: http://127.0.0.1:9/ims/oneroster/rostering/v1p2
      clientId: nobody
      clientSecret: { file: ./sis-secret }
      orgId: nowhere
`;
      const cfg = await writeTestConfig(sim, { extraIntegrations: second });
      const r = await runCli(['sync', '-c', cfg.file]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^springfield students: succeeded/m);
      expect(r.stdout).toMatch(/^shelbyville students: succeeded/m);
      expect(r.stdout).not.toMatch(/disabled/);
      const out = join(cfg.dir, 'out');
      expect((await runCli(['export', '-c', cfg.file, '--out', out])).code).toBe(0);
      const asOf = todayIn('UTC');
      await expectExportsEqual(join(out, 'springfield'), sim.district.expected(asOf), { suffix: '2026', collidingClasses: collidingClasses(sim) });
      await expectExportsEqual(join(out, 'shelbyville'), other.district.expected(asOf), { suffix: '2026', collidingClasses: collidingClasses(other) });
      // A failing integration makes the command exit with the worst outcome, after the others ran.
      await other.close();
      const partial = await runCli(['sync', '-c', cfg.file]);
      expect(partial.code).toBe(1);
      expect(partial.stdout).toMatch(/^springfield students: succeeded/m);
      expect(partial.stdout).toMatch(/^shelbyville classes: failed/m);
    } finally {
      await other.close();
    }
  });

  it('a second sync of the same job refuses while the first runs, and --wait waits for it', async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 33 });
    const cfg = await writeTestConfig(sim);
    // Slow enough that the first run is still going when a second CLI process has started, even on a busy machine.
    sim.setFaults({ latencyMs: 400 });
    const first = runCli(['sync', '-c', cfg.file]);
    await waitFor(async () => (await runningRun(join(cfg.dir, 'rosterd.db')).catch(() => null)) !== null, 20_000);
    const second = await runCli(['sync', '-c', cfg.file]);
    expect(second.code, second.stdout).toBe(1);
    expect(second.stderr).toMatch(/ROSTERD_JOB_RUNNING/);
    expect(second.stderr).toMatch(/already running/);
    const waited = await runCli(['sync', '-c', cfg.file, '--wait']);
    expect(waited.code, waited.stderr).toBe(0);
    expect((await first).code).toBe(0);
  });
});
