import { loadConfigForCommand, resolveSecret } from '../config/index.js';
import { openStore } from '../store/db.js';
import { planIntegration } from '../sync/run.js';
import type { JobPlan } from '../sync/prepare.js';
import type { KindPlan } from '../sync/plan.js';
import { configPaths, integrationCommandOptions, intOption, parseCommandArgs, pickFormat } from './args.js';
import { ExitCode, worstExitCode } from './exit-codes.js';
import { selectIntegrations } from './integrations.js';
import { progressReporter } from './progress.js';
import { abortOnSignals, parseJob } from './sync.js';
import type { Command } from './main.js';

/**
 * `rosterd plan`: what a sync would change, computed by the same code a sync runs, with nothing written to
 * the roster or the data log. Exit 0 when it would apply, 3 when a sync would be held. The JSON form is for a
 * config repo's CI to comment on a pull request.
 */
const command: Command = {
  summary: 'show what a sync would change, changing nothing',
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      ...integrationCommandOptions,
      job: { type: 'string' },
      limit: { type: 'string' },
    });
    const format = pickFormat(values);
    const jobs = parseJob(values.job);
    // Text shows the first few changes of each kind; JSON carries the whole plan (up to a large bound).
    const limit = intOption('limit', values.limit, format === 'json' ? 10_000 : 10, 0);
    const loaded = await loadConfigForCommand(configPaths(values), values, format);
    if (!loaded) return ExitCode.config;
    const integrations = selectIntegrations(loaded.config, values.integration);
    const store = await openStore(loaded.config.storage.url);
    const abort = abortOnSignals();
    const all: JobPlan[] = [];
    try {
      for (const integration of integrations) {
        const plans = await planIntegration(
          {
            store,
            integration,
            jobs,
            getSecret: () => resolveSecret(integration.sis.clientSecret, loaded.policy),
            signal: abort.signal,
            progress: format === 'text' ? progressReporter() : undefined,
          },
          limit,
        );
        all.push(...plans);
      }
    } finally {
      abort.dispose();
      await store.close();
    }
    const codes = all.map((p) => (p.reasons.length > 0 ? ExitCode.held : ExitCode.ok));
    if (format === 'json') process.stdout.write(`${JSON.stringify({ wouldHold: codes.includes(ExitCode.held), plans: all }, null, 2)}\n`);
    else process.stdout.write(all.map(describePlan).join('\n'));
    return worstExitCode(codes);
  },
};

const SIGN = { created: '+', updated: '~', deleted: '-' } as const;

export function describePlan(plan: JobPlan): string {
  const verdict = plan.reasons.length > 0 ? 'a sync would be HELD (nothing applied until approved)' : 'a sync would apply';
  const lines = [`${plan.integration} ${plan.job} (as of ${plan.asOf}): ${verdict}`];
  lines.push(`  ${'kind'.padEnd(12)} ${'create'.padStart(8)} ${'update'.padStart(8)} ${'delete'.padStart(8)} ${'same'.padStart(8)} ${'stored'.padStart(8)}`);
  for (const [kind, c] of Object.entries(plan.counts)) {
    if (!c) continue;
    lines.push(`  ${kind.padEnd(12)} ${[c.created, c.updated, c.deleted, c.unchanged, c.before].map((n) => String(n).padStart(8)).join(' ')}${c.kept ? `  (kept ${c.kept})` : ''}`);
  }
  const kept = Object.entries(plan.counts).filter(([, c]) => c?.kept);
  if (kept.length > 0) lines.push(`  additions only (safety.additionsOnly): kept, not deleted: ${kept.map(([kind, c]) => `${c!.kept} ${kind}`).join(', ')}`);
  for (const reason of plan.reasons) lines.push(`  HELD: ${reason.message}`);
  for (const kind of plan.kinds ?? []) lines.push(...describeKind(kind));
  const issues = Object.entries(plan.quality.counts);
  if (issues.length > 0) lines.push(`  data-quality findings: ${issues.map(([rule, n]) => `${rule} ${n}`).join(', ')}`);
  return lines.join('\n') + '\n';
}

function describeKind(kind: KindPlan): string[] {
  if (kind.changes.length === 0) return [];
  const lines = [`  ${kind.kind}${kind.role ? ` (${kind.role}s)` : ''} by school: ${kind.bySchool.map((s) => `${s.schoolName ?? s.schoolId ?? '?'} (${s.schoolId || '?'}) +${s.created} ~${s.updated} -${s.deleted}`).join(', ')}`];
  for (const change of kind.changes) {
    const fields = change.fields
      ? ': ' + Object.entries(change.fields).map(([f, v]) => `${f} ${JSON.stringify(v.before)} -> ${JSON.stringify(v.after)}`).join(', ')
      : '';
    lines.push(`    ${SIGN[change.change]} ${change.label} (${change.id})${fields}`);
  }
  if (kind.truncated) lines.push(`    ... (first ${kind.changes.length} shown; --json or --limit N for more)`);
  return lines;
}

export default command;
