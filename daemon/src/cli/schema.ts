/** `rosterd schema`: prints the config's JSON Schema (schemas/oneroster.schema.json), for editors and CI tools. */
import { readFileSync } from 'node:fs';
import { parseCommandArgs } from './args.js';
import { ExitCode } from './exit-codes.js';
import { SCHEMA_PATH } from '../config/schema.js';
import type { Command } from './main.js';

const command: Command = {
  summary: "print the config's JSON Schema",
  async run(argv) {
    const { values } = parseCommandArgs(argv, { help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      process.stdout.write('Usage: rosterd schema\n\nPrints the JSON Schema of oneroster.yaml (draft-07) to stdout.\n');
      return ExitCode.ok;
    }
    // Printed byte for byte: the file is the single source of truth.
    process.stdout.write(readFileSync(SCHEMA_PATH, 'utf8'));
    return ExitCode.ok;
  },
};

export default command;
