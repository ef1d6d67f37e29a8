import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSim, type RunningSim } from '../../daemon/src/sim/index.js';
import { todayIn } from '../../daemon/src/sync/today.js';
import { runCli } from '../helpers/cli.js';
import { writeTestConfig } from '../helpers/config.js';
import { expectExportsEqual } from './roster-equality.js';

/**
 * Never wrongly remove a student: deletion limits hold a run, an admin approves or discards exactly that plan,
 * `plan` shows what `sync` does, data-quality rules fire (and can block), notifications reach their targets.
 */

let sim: RunningSim | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
  receiver = undefined;
});

const tightLimits = `    safety:
      deletions:
        students: { maxCount: 3 }
        enrollments: { maxCount: 1000, maxShare: 0.5 }
`;

async function setup(extra = tightLimits) {
  sim = await startSim({ version: '1.2', size: 'tiny', seed: 21 });
  const cfg = await writeTestConfig(sim, { extra });
  const first = await runCli(['sync', '-c', cfg.file]);
  expect(first.code, first.stderr + first.stdout).toBe(0);
  return cfg;
}

async function json(args: string[]) {
  const r = await runCli([...args, '--json']);
  return { code: r.code, body: JSON.parse(r.stdout || 'null'), stderr: r.stderr };
}

describe('deletion limits', () => {
  it('holds a run over a limit, keeps the roster, and applies exactly that plan when approved', async () => {
    const cfg = await setup();
    const before = await json(['export', '-c', cfg.file, '--out', join(cfg.dir, 'before')]);
    expect(before.code).toBe(0);
    const effect = sim!.setMutation({ removeStudents: 5 });

    const held = await json(['sync', '-c', cfg.file]);
    expect(held.code).toBe(3);
    const [classes, students] = held.body.runs;
    expect(classes.status).toMatch(/^succeeded/);
    expect(students.status).toBe('held');
    expect(students.holdReasons[0]).toMatchObject({ type: 'deletion_limit', kind: 'students', deleted: effect.removedStudents.length });
    expect(students.error.message).toMatch(/over the limit of 3 \(safety\.deletions\.students\)/);

    // Nothing applied: the stored students are those of before.
    const during = await json(['export', '-c', cfg.file, '--out', join(cfg.dir, 'during')]);
    expect(during.body.exports[0].counts).toEqual(before.body.exports[0].counts);

    // The held run shows its plan's findings and why it is held.
    const shown = await json(['logs', '-c', cfg.file, String(students.runId)]);
    expect(shown.body.status).toBe('held');
    expect(shown.body.errorMessage).toMatch(/rosterd approve/);

    const approved = await runCli(['approve', '-c', cfg.file, String(students.runId), '--by', 'alice']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`Run ${students.runId} approved by alice`));
    const out = join(cfg.dir, 'after');
    expect((await runCli(['export', '-c', cfg.file, '--out', out])).code).toBe(0);
    await expectExportsEqual(out, sim!.district.expected(todayIn('UTC')), { suffix: '2026', collidingClasses: [...sim!.district.awkward.collidingClasses] });

    const decided = await json(['logs', '-c', cfg.file, String(students.runId)]);
    expect(decided.body).toMatchObject({ decision: 'approved', decidedBy: 'alice' });
    // Approving twice is refused: the decision is made.
    const again = await runCli(['approve', '-c', cfg.file, String(students.runId)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ROSTERD_RUN_NOT_PENDING/);
  });

  it('refuses to approve a plan once the store has changed since, and discards on request', async () => {
    const cfg = await setup();
    sim!.setMutation({ removeStudents: 5 });
    const held = await json(['sync', '-c', cfg.file]);
    const heldRun = held.body.runs[1].runId as number;
    // Another run changes the roster meanwhile (a renamed course, through the classes job alone).
    sim!.setMutation({ removeStudents: 5, renameCourses: 1 });
    const classes = await json(['sync', '-c', cfg.file, '--job', 'classes']);
    expect(classes.code).toBe(0);
    expect(classes.body.runs[0].counts.classes.updated).toBeGreaterThan(0);
    const stale = await runCli(['approve', '-c', cfg.file, String(heldRun)]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/ROSTERD_PLAN_STALE/);
    expect(stale.stderr).toMatch(/was not applied/);

    // A newer held plan replaces the older one.
    const newer = await json(['sync', '-c', cfg.file, '--job', 'students']);
    expect(newer.code).toBe(3);
    const older = await json(['logs', '-c', cfg.file, String(heldRun)]);
    expect(older.body.decision).toBe('superseded');

    const newRun = newer.body.runs[0].runId as number;
    const discarded = await runCli(['discard', '-c', cfg.file, String(newRun), '--by', 'bob']);
    expect(discarded.code, discarded.stderr).toBe(0);
    expect((await json(['logs', '-c', cfg.file, String(newRun)])).body).toMatchObject({ decision: 'discarded', decidedBy: 'bob' });
  });
});

describe('additions-only mode', () => {
  it('creates and updates but deletes nothing, says what it kept, and the deletions wait for the mode to end', async () => {
    const cfg = await setup(`    safety:
      additionsOnly: true
      deletions:
        students: { maxCount: 3 }
`);
    const before = await json(['export', '-c', cfg.file, '--out', join(cfg.dir, 'before')]);
    const effect = sim!.setMutation({ removeStudents: 5, renameUsers: 2 });
    expect(effect.removedStudents).toHaveLength(5);

    const planned = await json(['plan', '-c', cfg.file]);
    expect(planned.code).toBe(0);
    const studentsPlan = planned.body.plans.find((p: { job: string }) => p.job === 'students');
    expect(studentsPlan.counts.students).toMatchObject({ deleted: 0, kept: 5 });
    const planText = await runCli(['plan', '-c', cfg.file]);
    expect(planText.stdout).toMatch(/additions only \(safety\.additionsOnly\): kept, not deleted: 5 students, \d+ enrollments/);

    // Five students over a limit of three: not held, because nothing is deleted.
    const synced = await json(['sync', '-c', cfg.file]);
    expect(synced.code, synced.stderr).toBe(0);
    const [classes, students] = synced.body.runs;
    expect(students.status).toMatch(/^succeeded/);
    expect(students.counts.students).toMatchObject({ deleted: 0, kept: 5 });
    expect(students.counts.enrollments.deleted).toBe(0);
    expect(students.counts.enrollments.kept).toBeGreaterThan(0);
    expect(classes.counts.teachers.updated + students.counts.students.updated).toBe(2); // the renames did apply
    const after = await json(['export', '-c', cfg.file, '--out', join(cfg.dir, 'after')]);
    expect(after.body.exports[0].counts).toEqual(before.body.exports[0].counts);
    const logged = await json(['logs', '-c', cfg.file, String(students.runId)]);
    expect(logged.body.issues).toContainEqual(expect.objectContaining({ rule: 'deletions_withheld', severity: 'info', recordKind: 'students', message: expect.stringMatching(/^kept 5 students/) }));
    expect((await runCli(['logs', '-c', cfg.file, String(students.runId)])).stdout).toMatch(/students\s+\+0 ~\d+ -0 kept 5/);

    // A kind that comes back empty is still held: additions-only is no reason to trust a broken feed.
    sim!.setFaults({ emptyCollections: ['enrollments'] });
    const empty = await json(['sync', '-c', cfg.file, '--job', 'students']);
    expect(empty.code).toBe(3);
    expect(empty.body.runs[0].holdReasons[0]).toMatchObject({ type: 'empty_feed', kind: 'enrollments' });
    sim!.setFaults({ emptyCollections: [] });

    // Mode off: the withheld deletions are planned again, and the limit holds them.
    await writeFile(cfg.file, (await readFile(cfg.file, 'utf8')).replace('additionsOnly: true', 'additionsOnly: false'));
    const off = await json(['sync', '-c', cfg.file, '--job', 'students']);
    expect(off.code).toBe(3);
    expect(off.body.runs[0].holdReasons[0]).toMatchObject({ type: 'deletion_limit', kind: 'students', deleted: 5 });
  });
});

describe('plan', () => {
  it('shows what the following sync does, and writes nothing', async () => {
    const cfg = await setup('');
    sim!.setMutation({ removeStudents: 2, renameCourses: 1, renameUsers: 2, markToBeDeleted: { classes: 1, enrollments: 2 } });
    const plan = await json(['plan', '-c', cfg.file]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.body.wouldHold).toBe(false);
    const text = await runCli(['plan', '-c', cfg.file]);
    expect(text.stdout).toMatch(/springfield classes \(as of \d{4}-\d\d-\d\d\): a sync would apply/);
    expect(text.stdout).toMatch(/^ {4}- .+ \(usr-\d+\)$/m); // a removed student, by name

    const logsBefore = await json(['logs', '-c', cfg.file]);
    const sync = await json(['sync', '-c', cfg.file]);
    expect(sync.code).toBe(0);
    const strip = (counts: Record<string, { created: number; updated: number; deleted: number }>) =>
      Object.fromEntries(Object.entries(counts).map(([k, c]) => [k, { created: c.created, updated: c.updated, deleted: c.deleted }]));
    for (const [i, run] of sync.body.runs.entries()) {
      expect(strip(run.counts)).toEqual(strip(plan.body.plans[i].counts));
      expect(run.quality).toEqual(plan.body.plans[i].quality.counts);
    }
    // plan wrote no run into the data log.
    expect(logsBefore.body.runs.length).toBe(2);
  });

  it('exits 3 when a sync would be held', async () => {
    const cfg = await setup();
    sim!.setMutation({ removeStudents: 5 });
    const plan = await json(['plan', '-c', cfg.file]);
    expect(plan.code).toBe(3);
    expect(plan.body.wouldHold).toBe(true);
    expect(plan.body.plans[1].reasons[0].type).toBe('deletion_limit');
  });
});

describe('data-quality rules', () => {
  it('each rule fires on the awkward records of the simulated district', async () => {
    const cfg = await setup('');
    const runs = (await json(['logs', '-c', cfg.file])).body.runs as { id: number }[];
    const issues: { rule: string; recordId: string }[] = [];
    for (const run of runs) issues.push(...(await json(['logs', '-c', cfg.file, String(run.id)])).body.issues);
    const a = sim!.district.awkward;
    const has = (rule: string, id: string) => issues.some((i: { rule: string; recordId: string }) => i.rule === rule && i.recordId === id);
    expect(has('user_without_email', a.studentWithoutEmail)).toBe(true);
    expect(has('duplicate_email', a.duplicateEmailUsers[0])).toBe(true);
    expect(has('duplicate_email', a.duplicateEmailUsers[1])).toBe(true);
    expect(has('class_without_teacher', a.classWithoutTeacher)).toBe(true);
    expect(has('class_without_students', a.classWithoutStudents)).toBe(true);
    expect(has('class_name_collision', a.collidingClasses[0])).toBe(true);
    expect(has('enrollment_unknown_reference', a.missingUserEnrollment)).toBe(true);
    expect(has('user_not_in_scope', a.outOfScopeUser)).toBe(true);
    expect(has('teacher_enrolled_as_student', a.teacherAlsoStudent)).toBe(true);
  });

  it('a rule set to block holds the run', async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 21 });
    const cfg = await writeTestConfig(sim, { extra: '    quality:\n      rules:\n        class_without_teacher: block\n' });
    const r = await json(['sync', '-c', cfg.file]);
    expect(r.code).toBe(3);
    expect(r.body.runs[0].status).toBe('held');
    expect(r.body.runs[0].holdReasons[0]).toMatchObject({ type: 'quality_block', rule: 'class_without_teacher' });
  });
});

describe('notifications', () => {
  it('each target receives exactly the events it asked for, once per held plan, without secrets', async () => {
    const received: { target: string; event: string; body: string; headers: IncomingMessage['headers'] }[] = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ target: req.url!.slice(1), event: String(req.headers['x-rosterd-event']), body, headers: req.headers });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    const signingKey = 'canary-hmac-key-7f3a';
    const extra = `${tightLimits}    notifications:
      - name: ops
        type: webhook
        events: [failed, held, recovered]
        url: http://127.0.0.1:${port}/ops
        signingSecret: { env: ROSTERD_TEST_WEBHOOK_KEY }
      - name: report
        type: webhook
        events: [succeeded_with_issues]
        url: http://127.0.0.1:${port}/report
        signingSecret: { env: ROSTERD_TEST_WEBHOOK_KEY }
`;
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 21 });
    const cfg = await writeTestConfig(sim, { extra });
    await writeFile(cfg.file, (await readFile(cfg.file, 'utf8')).replace('storage:', 'server:\n  publicUrl: https://rosterd.example.org/\nstorage:'));
    const env = { ROSTERD_TEST_WEBHOOK_KEY: signingKey };
    expect((await runCli(['sync', '-c', cfg.file], { env })).code).toBe(0); // 2 x succeeded_with_issues -> report
    sim.setMutation({ removeStudents: 5 });
    expect((await runCli(['sync', '-c', cfg.file], { env })).code).toBe(3); // classes ok (report), students held (ops)
    expect((await runCli(['sync', '-c', cfg.file], { env })).code).toBe(3); // the same held plan: no second ops message
    sim.setMutation({});
    expect((await runCli(['sync', '-c', cfg.file], { env })).code).toBe(0); // students recovered (ops) + report x2

    const ops = received.filter((r) => r.target === 'ops').map((r) => r.event);
    const report = received.filter((r) => r.target === 'report').map((r) => r.event);
    expect(ops).toEqual(['held', 'recovered']);
    expect(report.every((e) => e === 'succeeded_with_issues')).toBe(true);
    expect(report.length).toBe(6);
    for (const r of received) {
      expect(r.body).not.toContain(signingKey);
      expect(r.body).not.toContain(sim.clientSecret);
      expect(JSON.stringify(r.headers)).not.toContain(signingKey);
      expect(r.headers['x-rosterd-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    }
    const heldBody = JSON.parse(received.find((r) => r.event === 'held')!.body);
    expect(heldBody).toMatchObject({ integration: 'springfield', job: 'students', status: 'held' });
    expect(heldBody.counts.students.deleted).toBe(5);
    expect(heldBody.runUrl).toBe(`https://rosterd.example.org/api/v1/runs/${heldBody.runId}`);
  });
});
