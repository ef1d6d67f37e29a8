import { writeRosterExports } from '../exports/index.js';
import { openStore } from '../store/db.js';
import { ExitCode } from './exit-codes.js';
import { exportDirFor, fileCommandSetup } from './export-files.js';
import type { Command } from './main.js';

const command: Command = {
  summary: 'write the export files from what the store holds',
  async run(argv) {
    const setup = await fileCommandSetup(argv);
    if (setup.out === undefined) return ExitCode.config;
    const { out, format, config, integrations } = setup;
    const store = await openStore(config.storage.url);
    const written = [];
    try {
      for (const integration of integrations) {
        const dir = exportDirFor(out, integration, integrations);
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
