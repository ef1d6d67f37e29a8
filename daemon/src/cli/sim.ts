import type { Command } from './main.js';
import { intOption, parseCommandArgs } from './args.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from '../errors.js';
import { SIZES, startSim, type Faults, type SizeName } from '../sim/index.js';

/** The env var the demo and `rosterd sim` share the simulated SIS's secret through. */
export const DEMO_SECRET_ENV = 'ROSTERD_DEMO_SIS_SECRET';
const DEFAULT_DEMO_SECRET = 'demo-secret-change-me';

const HELP = `Usage: rosterd sim [options]

Serve a simulated OneRoster SIS (a deterministic district) for tests, demos and trials.
Prints one JSON line when listening: {"url","tokenUrl","urlPrefix","clientId","orgId"}.

Options:
  --port N               port (default 8750; 0 = any free port)
  --host H               address to listen on (default 127.0.0.1)
  --version 1.1|1.2      OneRoster version (default 1.2)
  --size S               tiny|small|medium|large|max (default small; max = 400,000 students)
  --seed N               district seed (default 1)
  --client-id X          OAuth client id (default rosterd-demo); the secret is $${DEMO_SECRET_ENV} or "${DEFAULT_DEMO_SECRET}"
  --print-secret         include the client secret in the JSON line
  --today YYYY-MM-DD     the day terms and enrollments are placed around (default today)
  --debug                log each request to stderr
Misbehaviours:
  --clamp-limit N  --omit-total-count  --omit-link  --rate-limit-every N  --retry-after S
  --unavailable-every N  --reset-every N  --token-ttl S  --expire-tokens-early  --latency-ms N  --html-responses
  --sticky-sessions (tokens work only with the load balancer's affinity cookie, as at Aeries)
`;

const command: Command = {
  summary: 'serve a simulated OneRoster SIS for tests, demos and trials',
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      port: { type: 'string' }, host: { type: 'string' }, version: { type: 'string' }, size: { type: 'string' },
      seed: { type: 'string' }, 'client-id': { type: 'string' }, 'print-secret': { type: 'boolean' }, today: { type: 'string' },
      debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      'clamp-limit': { type: 'string' }, 'omit-total-count': { type: 'boolean' }, 'omit-link': { type: 'boolean' },
      'rate-limit-every': { type: 'string' }, 'retry-after': { type: 'string' }, 'unavailable-every': { type: 'string' },
      'reset-every': { type: 'string' }, 'token-ttl': { type: 'string' }, 'expire-tokens-early': { type: 'boolean' },
      'latency-ms': { type: 'string' }, 'html-responses': { type: 'boolean' }, 'sticky-sessions': { type: 'boolean' },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return ExitCode.ok;
    }
    const version = values.version ?? '1.2';
    if (version !== '1.1' && version !== '1.2') throw new UsageError(`--version must be 1.1 or 1.2, not "${version}"`);
    const size = values.size ?? 'small';
    if (!(size in SIZES)) throw new UsageError(`--size must be one of ${Object.keys(SIZES).join(', ')}, not "${size}"`);
    if (values.today !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(values.today) || Number.isNaN(Date.parse(values.today)))) {
      throw new UsageError(`--today must be a date YYYY-MM-DD, not "${values.today}"`);
    }
    const optionalInt = (name: string, raw: string | undefined, min: number) => (raw === undefined ? null : intOption(name, raw, 0, min));
    const faults: Partial<Faults> = {
      clampLimit: optionalInt('clamp-limit', values['clamp-limit'], 1),
      omitTotalCount: values['omit-total-count'] ?? false,
      omitLink: values['omit-link'] ?? false,
      rateLimitEvery: optionalInt('rate-limit-every', values['rate-limit-every'], 1),
      retryAfterSeconds: intOption('retry-after', values['retry-after'], 1, 0),
      unavailableEvery: optionalInt('unavailable-every', values['unavailable-every'], 1),
      resetEvery: optionalInt('reset-every', values['reset-every'], 1),
      tokenTtlSeconds: intOption('token-ttl', values['token-ttl'], 3600, 1),
      expireTokensEarly: values['expire-tokens-early'] ?? false,
      latencyMs: intOption('latency-ms', values['latency-ms'], 0, 0),
      htmlResponses: values['html-responses'] ?? false,
      stickySessions: values['sticky-sessions'] ?? false,
    };
    const port = intOption('port', values.port, 8750, 0);
    if (port > 65535) throw new UsageError(`--port must be at most 65535, not "${port}"`);
    const debug = values.debug ? (line: string) => process.stderr.write(`${new Date().toISOString()} debug ${line}\n`) : undefined;

    let sim;
    try {
      sim = await startSim({
        version, size: size as SizeName, seed: intOption('seed', values.seed, 1, 0), host: values.host ?? '127.0.0.1', port,
        clientId: values['client-id'] ?? 'rosterd-demo', clientSecret: process.env[DEMO_SECRET_ENV] || DEFAULT_DEMO_SECRET,
        today: values.today, faults, debug,
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const where = `${values.host ?? '127.0.0.1'}:${port}`;
      if (e.code === 'EADDRINUSE') process.stderr.write(`rosterd sim: ${where} is already in use. Nothing started. Fix: pass another --port (0 picks a free one) or stop what holds it.\n`);
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES') process.stderr.write(`rosterd sim: cannot listen on ${where} (${e.code}). Nothing started. Fix: use --host 127.0.0.1 or a port above 1023.\n`);
      else throw err;
      return ExitCode.failed;
    }
    const line: Record<string, string> = { url: sim.url, tokenUrl: sim.tokenUrl, urlPrefix: sim.urlPrefix, clientId: sim.clientId, orgId: sim.orgId };
    if (values['print-secret']) line.clientSecret = sim.clientSecret;
    process.stdout.write(JSON.stringify(line) + '\n');

    const running = sim;
    return new Promise<number>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        void running.close().then(() => resolve(ExitCode.ok));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  },
};

export default command;
