import { ExitCode } from './exit-codes.js';
import { isRosterdError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';

/** One command: parse its own arguments, do the work through the core modules, return an exit code. */
export type Command = {
  summary: string;
  run(argv: string[]): Promise<number>;
};

/** Commands load lazily, so `rosterd --version` does not pay for the database driver or the HTTP client. */
const commands: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  validate: { summary: 'check config files against the schema and the rules beyond it', load: () => import('./validate.js') },
  schema: { summary: "print the config's JSON Schema", load: () => import('./schema.js') },
  sync: { summary: 'run a sync now (classes, students or all)', load: () => import('./sync.js') },
  preview: { summary: 'read the SIS and write the export files, changing nothing', load: () => import('./preview.js') },
  export: { summary: 'write the export files from what the store holds', load: () => import('./export.js') },
  plan: { summary: 'show what a sync would change (exit 3 when it would be held), changing nothing', load: () => import('./plan.js') },
  approve: { summary: 'apply exactly the plan of a held run', load: () => import('./approve.js') },
  discard: { summary: 'discard the plan of a held run', load: () => import('./discard.js') },
  logs: { summary: 'list runs from the data log, or show one with its issues', load: () => import('./logs.js') },
  sim: { summary: 'serve a simulated OneRoster SIS for tests, demos and trials', load: () => import('./sim.js') },
  run: { summary: 'run the daemon: schedules, live config reload, health, metrics, admin API', load: () => import('./run.js') },
  backup: { summary: 'write a consistent copy of the store (safe while the daemon runs)', load: () => import('./backup.js') },
  demo: { summary: 'start the simulated SIS and the daemon together with the shipped config (--smoke: one sync, then exit)', load: () => import('./demo.js') },
};

/** Usage lines for `rosterd <command> --help`; validate, schema, sim and run print their own fuller help. */
const USAGE: Record<string, string> = {
  sync: 'rosterd sync [-c FILE] [--allow-secret-dir DIR] [--allow-secret-env PREFIX] [--integration NAME] [--job classes|students|all] [--wait] [--format text|json]',
  preview: 'rosterd preview [-c FILE] [--allow-secret-dir DIR] [--allow-secret-env PREFIX] [--integration NAME] --out DIR [--format text|json]',
  export: 'rosterd export [-c FILE] [--allow-secret-dir DIR] [--allow-secret-env PREFIX] [--integration NAME] --out DIR [--format text|json]',
  plan: 'rosterd plan [-c FILE] [--allow-secret-dir DIR] [--allow-secret-env PREFIX] [--integration NAME] [--job classes|students|all] [--limit N] [--format text|json]',
  approve: 'rosterd approve RUN_ID [-c FILE] [--allow-secret-dir DIR] [--allow-secret-env PREFIX] [--by NAME] [--format text|json]',
  discard: 'rosterd discard RUN_ID [-c FILE] [--allow-secret-dir DIR] [--allow-secret-env PREFIX] [--by NAME] [--format text|json]',
  logs: 'rosterd logs [RUN_ID] [-c FILE] [--allow-secret-dir DIR] [--allow-secret-env PREFIX] [--integration NAME] [--job classes|students] [--limit N] [--format text|json]',
  backup: 'rosterd backup [-c FILE] --out FILE [--force] [--format text|json]',
  demo: 'rosterd demo [-c FILE] [--size tiny|small|medium|large|max] [--seed N] [--smoke]',
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `rosterd ${VERSION}: sync school rosters from a SIS over OneRoster\n\nUsage: rosterd <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nOptions: --version, --help. Each command takes --help.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return ExitCode.ok;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`rosterd: unknown command "${name}"\n\n${help()}`);
    return ExitCode.usage;
  }
  const usage = USAGE[name];
  if (usage && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${entry.summary}\n\nUsage: ${usage}\n\nThe config file is -c FILE, else $ROSTERD_CONFIG, else ./oneroster.yaml. --json is short for --format json.\n`);
    return ExitCode.ok;
  }
  try {
    const command = (await entry.load()).default;
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`rosterd ${name}: ${err.message}\n`);
      return ExitCode.usage;
    }
    if (isRosterdError(err)) {
      process.stderr.write(`rosterd ${name}: ${err.describe()}\n`);
      return ExitCode.failed;
    }
    throw err;
  }
}
