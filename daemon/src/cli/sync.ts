import { loadConfigForCommand, resolveSecret } from '../config/index.js';
import { Notifier } from '../notify/index.js';
import { openStore } from '../store/db.js';
import { syncIntegration, type JobResult } from '../sync/run.js';
import type { Job } from '../roster/tables.js';
import { UsageError } from '../errors.js';
import { configPaths, integrationCommandOptions, parseCommandArgs, pickFormat } from './args.js';
import { ExitCode, worstExitCode } from './exit-codes.js';
import { selectIntegrations } from './integrations.js';
import { progressReporter, summaryLine } from './progress.js';
import type { Command } from './main.js';

const NOTIFY_DRAIN_MS = 30_000;

export function parseJob(raw: string | undefined): Job[] {
  switch (raw ?? 'all') {
    case 'classes':
      return ['classes'];
    case 'students':
      return ['students'];
    case 'all':
      return ['classes', 'students'];
    default:
      throw new UsageError(`--job must be classes, students or all, not "${raw}"`);
  }
}

export function exitCodeOf(result: JobResult): number {
  switch (result.status) {
    case 'succeeded':
    case 'succeeded_with_issues':
      return ExitCode.ok;
    case 'held':
      return ExitCode.held;
    case 'interrupted':
      return ExitCode.interrupted;
    default:
      return ExitCode.failed;
  }
}

/** Ctrl-C (or SIGTERM) aborts the run cleanly: the transaction rolls back and the run is recorded as interrupted. */
export function abortOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

const command: Command = {
  summary: 'run a sync now',
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      ...integrationCommandOptions,
      job: { type: 'string' },
      wait: { type: 'boolean' },
    });
    const format = pickFormat(values);
    const jobs = parseJob(values.job);
    const loaded = await loadConfigForCommand(configPaths(values), values, format);
    if (!loaded) return ExitCode.config;
    const integrations = selectIntegrations(loaded.config, values.integration);
    if (integrations.length === 0) {
      process.stderr.write('rosterd sync: no enabled integrations in the config; nothing to do.\n');
      return ExitCode.ok;
    }
    const store = await openStore(loaded.config.storage.url);
    const abort = abortOnSignals();
    const results: JobResult[] = [];
    try {
      const progress = format === 'text' ? progressReporter() : undefined;
      for (const integration of integrations) {
        if (abort.signal.aborted) break;
        const notifier = new Notifier({
          targets: integration.notifications,
          resolveSecret: (ref) => resolveSecret(ref, loaded.policy),
          logger: {
            info: () => undefined,
            warn: (fields, msg) => process.stderr.write(`rosterd sync: ${msg} ${JSON.stringify(fields)}\n`),
          },
        });
        results.push(
          ...(await syncIntegration({
            store,
            integration,
            jobs,
            trigger: 'manual',
            getSecret: () => resolveSecret(integration.sis.clientSecret, loaded.policy),
            signal: abort.signal,
            progress,
            notify: (event) => notifier.notify(event),
            publicUrl: loaded.config.server.publicUrl,
            waitForLock: values.wait === true,
          })),
        );
        // Deliveries retry with backoff; the command waits a bounded time for them before it exits.
        await notifier.drain(NOTIFY_DRAIN_MS);
      }
    } finally {
      abort.dispose();
      await store.close();
    }
    if (format === 'json') process.stdout.write(`${JSON.stringify({ runs: results }, null, 2)}\n`);
    else for (const r of results) process.stdout.write(`${summaryLine(r)}\n`);
    return worstExitCode(results.map(exitCodeOf));
  },
};

export default command;
