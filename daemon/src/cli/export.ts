import { loadConfigForCommand } from '../config/index.js';
import { UsageError } from '../errors.js';
import { writeRosterExports } from '../exports/index.js';
import { openStore } from '../store/db.js';
import { configPaths, integrationCommandOptions, parseCommandArgs, pickFormat } from './args.js';
import { ExitCode } from './exit-codes.js';
import { exportDirFor } from './export-files.js';
import { selectIntegrations } from './integrations.js';
import type { Command } from './main.js';

const command: Command = {
  summary: 'write the export files from what the store holds',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...integrationCommandOptions, out: { type: 'string' } });
    const format = pickFormat(values);
    if (!values.out) throw new UsageError('--out DIR is required: the folder to write classes.csv, users.csv and enrollments.csv into');
    const loaded = await loadConfigForCommand(configPaths(values), values, format);
    if (!loaded) return ExitCode.config;
    const integrations = selectIntegrations(loaded.config, values.integration);
    const store = await openStore(loaded.config.storage.url);
    const written = [];
    try {
      for (const integration of integrations) {
        const dir = exportDirFor(values.out, integration, integrations);
        const result = await writeRosterExports(store, integration.name, dir);
        written.push({ integration: integration.name, dir, ...result });
      }
    } finally {
      await store.close();
    }
    if (format === 'json') process.stdout.write(`${JSON.stringify({ exports: written }, null, 2)}\n`);
    else
      for (const w of written)
        process.stdout.write(`${w.integration}: ${w.counts.classes} classes, ${w.counts.users} users, ${w.counts.enrollments} enrollments -> ${w.dir}\n`);
    return ExitCode.ok;
  },
};

export default command;
