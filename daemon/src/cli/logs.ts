import { loadConfigForCommand } from '../config/index.js';
import { UsageError } from '../errors.js';
import { nextScheduledRuns } from '../schedule/scheduler.js';
import { openStore } from '../store/db.js';
import type { RunRecord } from '../store/runs.js';
import { describeCounts } from '../sync/diff.js';
import { configPaths, integrationCommandOptions, intOption, parseCommandArgs, pickFormat } from './args.js';
import { ExitCode } from './exit-codes.js';
import type { Command } from './main.js';

/** The data log: `rosterd logs` lists runs, newest first; `rosterd logs RUN_ID` shows one run with its issues. */
const command: Command = {
  summary: 'list runs from the data log, or show one with its issues',
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...integrationCommandOptions, limit: { type: 'string' }, job: { type: 'string' } },
      true,
    );
    const format = pickFormat(values);
    if (positionals.length > 1) throw new UsageError('give at most one RUN_ID');
    const runId = positionals[0] === undefined ? undefined : intOption('RUN_ID', positionals[0], 0, 1);
    const limit = intOption('limit', values.limit, 20, 1);
    if (values.job !== undefined && values.job !== 'classes' && values.job !== 'students') throw new UsageError(`--job must be classes or students, not "${values.job}"`);
    const loaded = await loadConfigForCommand(configPaths(values), values, format);
    if (!loaded) return ExitCode.config;
    const store = await openStore(loaded.config.storage.url);
    try {
      if (runId !== undefined) {
        const run = await store.runs.get(runId);
        if (!run) {
          process.stderr.write(`rosterd logs: no run ${runId} in the data log (${loaded.config.storage.url}); \`rosterd logs\` lists the runs.\n`);
          return ExitCode.failed;
        }
        if (format === 'json') process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
        else process.stdout.write(describeRun(run));
        return ExitCode.ok;
      }
      const runs = await store.runs.list({ integration: values.integration, job: values.job as 'classes' | 'students' | undefined, limit });
      // When each job runs next on the schedule in the config (what `rosterd run` would do).
      const schedule = loaded.config.integrations
        .filter((i) => values.integration === undefined || i.name === values.integration)
        .map((i) => {
          const next = nextScheduledRuns(i);
          return { integration: i.name, timezone: i.schedule.timezone, nextRuns: { classes: next.classes?.toISOString() ?? null, students: next.students?.toISOString() ?? null } };
        });
      const held = await store.runs.pendingHeld(values.integration);
      if (format === 'json') process.stdout.write(`${JSON.stringify({ runs, schedule, held: held.map((r) => r.id) }, null, 2)}\n`);
      else {
        for (const s of schedule) {
          const when = (iso: string | null) => (iso === null ? 'not scheduled' : iso);
          process.stdout.write(`${s.integration}: next classes ${when(s.nextRuns.classes)}, next students ${when(s.nextRuns.students)} (schedule in ${s.timezone})\n`);
        }
        for (const r of held) process.stdout.write(`held: run ${r.id} (${r.integration} ${r.job}) waits for a decision: rosterd approve ${r.id} | rosterd discard ${r.id}\n`);
        process.stdout.write(`\n${runTable(runs)}`);
      }
      return ExitCode.ok;
    } finally {
      await store.close();
    }
  },
};

function runTable(runs: RunRecord[]): string {
  if (runs.length === 0) return 'No runs in the data log yet.\n';
  const header = ['RUN', 'INTEGRATION', 'JOB', 'TRIGGER', 'STATUS', 'STARTED', 'DURATION', 'CHANGES', 'ISSUES'];
  const rows = runs.map((r) => [
    String(r.id),
    r.integration,
    r.job,
    r.trigger,
    r.status,
    r.startedAt,
    duration(r),
    changes(r),
    String(r.issueCount),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function duration(r: RunRecord): string {
  if (!r.endedAt) return '-';
  const seconds = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)}s` : `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
}

function changes(r: RunRecord): string {
  if (!r.counts) return '-';
  let created = 0;
  let updated = 0;
  let deleted = 0;
  for (const c of Object.values(r.counts)) {
    created += c.created;
    updated += c.updated;
    deleted += c.deleted;
  }
  return `+${created} ~${updated} -${deleted}`;
}

function describeRun(run: RunRecord & { issues: { rule: string; severity: string; recordKind: string | null; recordId: string | null; message: string }[] }): string {
  const lines = [
    `Run ${run.id}: ${run.integration} ${run.job} (${run.trigger})`,
    `Status:   ${run.status}`,
    `Started:  ${run.startedAt}`,
    `Ended:    ${run.endedAt ?? '-'} (${duration(run)})`,
  ];
  if (run.errorCode) lines.push(`Error:    ${run.errorCode}: ${run.errorMessage ?? ''}`);
  if (run.counts) {
    lines.push('Changes:');
    for (const [kind, c] of Object.entries(run.counts)) lines.push(`  ${kind.padEnd(12)} ${describeCounts(c)}${c.unchanged === undefined ? '' : ` =${c.unchanged}`}`);
  }
  lines.push(`Issues:   ${run.issues.length === 0 ? 'none' : run.issues.length}`);
  for (const i of run.issues) lines.push(`  [${i.severity}] ${i.rule}: ${i.message}`);
  return lines.join('\n') + '\n';
}

export default command;
