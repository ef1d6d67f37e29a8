import { userInfo } from 'node:os';
import { loadConfigForCommand } from '../config/index.js';
import { UsageError } from '../errors.js';
import { openStore } from '../store/db.js';
import { approveHeldRun, discardHeldRun } from '../sync/held.js';
import { configOptions, configPaths, formatOptions, intOption, parseCommandArgs, pickFormat, secretPolicyOptions } from './args.js';
import { ExitCode } from './exit-codes.js';
import type { Command } from './main.js';

/** `rosterd approve RUN_ID` and `rosterd discard RUN_ID`: an admin's decision on a held run, recorded with who and when. */
export function decisionCommand(decision: 'approve' | 'discard'): Command {
  return {
    summary: decision === 'approve' ? 'apply the plan of a held run' : 'discard the plan of a held run',
    async run(argv) {
      const { values, positionals } = parseCommandArgs(argv, { ...configOptions, ...formatOptions, ...secretPolicyOptions, by: { type: 'string' } }, true);
      const format = pickFormat(values);
      if (positionals.length !== 1) throw new UsageError(`give the id of one held run: rosterd ${decision} RUN_ID`);
      const runId = intOption('RUN_ID', positionals[0], 0, 1);
      const by = values.by ?? process.env.ROSTERD_OPERATOR ?? `${userInfo().username} (cli)`;
      const loaded = await loadConfigForCommand(configPaths(values), values, format);
      if (!loaded) return ExitCode.config;
      const store = await openStore(loaded.config.storage.url);
      try {
        if (decision === 'approve') {
          const applied = await approveHeldRun(store, runId, { by, trigger: 'manual' });
          if (format === 'json') process.stdout.write(`${JSON.stringify({ approved: runId, appliedRun: applied.runId, counts: applied.counts, by }, null, 2)}\n`);
          else process.stdout.write(`Run ${runId} approved by ${by}: its plan was applied as run ${applied.runId}.\n`);
        } else {
          await discardHeldRun(store, runId, { by });
          if (format === 'json') process.stdout.write(`${JSON.stringify({ discarded: runId, by }, null, 2)}\n`);
          else process.stdout.write(`Run ${runId} discarded by ${by}: nothing was applied.\n`);
        }
        return ExitCode.ok;
      } finally {
        await store.close();
      }
    },
  };
}
