import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSecret, type IntegrationConfig } from '../config/index.js';
import { writeRosterExports } from '../exports/index.js';
import { openStore } from '../store/db.js';
import { syncIntegration } from '../sync/run.js';
import { ExitCode, worstExitCode } from './exit-codes.js';
import { exportDirFor, fileCommandSetup } from './export-files.js';
import { progressReporter, summaryLine } from './progress.js';
import { abortOnSignals, exitCodeOf } from './sync.js';
import type { Command } from './main.js';

/**
 * Preview reads the SIS and writes the files a sync would produce, changing nothing: it runs the real sync
 * into a throwaway store in a temporary folder (so it is exactly what a sync would build), exports from it,
 * and deletes it.
 */
const command: Command = {
  summary: 'read the SIS and write the export files, changing nothing',
  async run(argv) {
    const setup = await fileCommandSetup(argv);
    if (setup.out === undefined) return ExitCode.config;
    const { out, format, policy, integrations } = setup;
    const abort = abortOnSignals();
    const codes: number[] = [];
    const report = [];
    try {
      for (const integration of integrations) {
        const scratch = await mkdtemp(join(tmpdir(), 'rosterd-preview-'));
        try {
          const store = await openStore(`sqlite:${join(scratch, 'preview.db')}`);
          try {
            const results = await syncIntegration({
              store,
              // A preview shows the files whatever the rules would hold: quality findings are reported, never blocking.
              integration: previewOf(integration),
              jobs: ['classes', 'students'],
              trigger: 'manual',
              getSecret: () => resolveSecret(integration.sis.clientSecret, policy),
              signal: abort.signal,
              progress: format === 'text' ? progressReporter() : undefined,
            });
            const code = worstExitCode(results.map(exitCodeOf));
            codes.push(code);
            const failed = results.find((r) => exitCodeOf(r) !== ExitCode.ok);
            if (failed || results.length < 2) {
              report.push({ integration: integration.name, ok: false, results });
              if (format === 'text') for (const r of results) process.stderr.write(`${summaryLine(r)}\n`);
              continue;
            }
            const dir = exportDirFor(out, integration, integrations);
            const written = await writeRosterExports(store, integration.name, dir);
            report.push({ integration: integration.name, ok: true, dir, ...written, issues: results.map((r) => r.quality) });
            if (format === 'text') {
              process.stdout.write(`${integration.name}: ${written.counts.classes} classes, ${written.counts.users} users, ${written.counts.enrollments} enrollments -> ${dir} (nothing was changed)\n`);
              for (const r of results) {
                const issues = Object.entries(r.quality).map(([rule, n]) => `${rule} ${n}`);
                if (issues.length > 0) process.stdout.write(`  ${r.job} issues: ${issues.join(', ')}\n`);
              }
            }
          } finally {
            await store.close();
          }
        } finally {
          await rm(scratch, { recursive: true, force: true });
        }
      }
    } finally {
      abort.dispose();
    }
    if (format === 'json') process.stdout.write(`${JSON.stringify({ previews: report }, null, 2)}\n`);
    return worstExitCode(codes);
  },
};

/** The integration as preview runs it: every data-quality rule at warn (findings are still listed). */
function previewOf(integration: IntegrationConfig): IntegrationConfig {
  const rules = Object.fromEntries(Object.keys(integration.quality.rules).map((rule) => [rule, 'warn'])) as IntegrationConfig['quality']['rules'];
  return { ...integration, quality: { ...integration.quality, rules } };
}

export default command;
