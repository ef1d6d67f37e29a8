/**
 * `rosterd validate [-c FILE ...] [--resolve-secrets] [--format text|json]`: checks each config file on its own
 * and reports every problem with its position. Exit 0 valid, 78 (EX_CONFIG) not, 2 usage error. Changes nothing.
 */
import { configOptions, configPaths, formatOptions, parseCommandArgs, pickFormat, secretPolicyOptions } from './args.js';
import { ExitCode } from './exit-codes.js';
import { formatProblem, loadConfig, policyForFile, type ConfigProblem } from '../config/index.js';
import type { Command } from './main.js';

const usage = `Usage: rosterd validate [-c FILE ...] [--resolve-secrets] [--format text|json]

Checks config files (default: $ROSTERD_CONFIG, else ./oneroster.yaml) against the schema and the rules beyond it.
Every file is checked on its own; every problem is listed as FILE:LINE:COLUMN: path: message.

Options:
  -c, --config FILE         a config file to check (repeatable)
  --resolve-secrets         also check that every referenced env var / file exists and is non-empty
  --allow-secret-dir DIR    allow file secret references under DIR too (repeatable; also $ROSTERD_SECRET_DIRS, ':'-separated)
  --allow-secret-env PREFIX allow env secret references starting with PREFIX too (repeatable; also $ROSTERD_SECRET_ENV_PREFIXES, ','-separated)
  --format text|json        output format (--json is short for --format json)

Exit codes: 0 all valid, 78 a file has problems, 2 usage error.
`;

const command: Command = {
  summary: 'check config files against the schema and the rules beyond it',
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      ...configOptions,
      ...formatOptions,
      ...secretPolicyOptions,
      'resolve-secrets': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(usage);
      return ExitCode.ok;
    }
    const format = pickFormat(values);
    const files: { file: string; ok: boolean; problems: ConfigProblem[] }[] = [];
    for (const file of configPaths(values)) {
      const result = await loadConfig(file, { policy: policyForFile(values, file), resolveSecrets: values['resolve-secrets'] ?? false });
      files.push({ file, ok: result.ok, problems: result.ok ? [] : result.problems });
    }
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({ files }, null, 2)}\n`);
    } else {
      for (const f of files) {
        if (f.ok) process.stdout.write(`${f.file}: ok\n`);
        else for (const p of f.problems) process.stdout.write(`${formatProblem(p)}\n`);
      }
      const bad = files.filter((f) => !f.ok);
      if (bad.length > 0) {
        const count = bad.reduce((n, f) => n + f.problems.length, 0);
        process.stderr.write(`${count} problem${count === 1 ? '' : 's'} in ${bad.length} of ${files.length} file${files.length === 1 ? '' : 's'}; nothing was changed.\n`);
      }
    }
    return files.every((f) => f.ok) ? ExitCode.ok : ExitCode.config;
  },
};

export default command;
