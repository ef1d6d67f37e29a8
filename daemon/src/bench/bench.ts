/**
 * `npm run bench`: the simulated SIS at the largest district size on loopback, and in one run:
 *   floor          read every collection the sync reads with the same client, discarding it
 *   first sync     `rosterd sync --job all` into an empty store
 *   re-sync        the same again, nothing changed
 * each as wall time (and as a ratio to the floor, so a noisy shared machine slows all of them alike) and
 * peak RSS of the measured process. The simulated SIS runs in its own process.
 *
 * Options: --size tiny|small|medium|large|max (default max), --json, --no-check (do not fail on the bars).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../version.js';

const BARS = { firstSyncRatio: 3, resyncRatio: 2, peakRssBytes: 1024 ** 3 };

interface Measure {
  seconds: number;
  peakRssBytes: number;
  stdout: string;
}

const { values } = parseArgs({ options: { size: { type: 'string' }, json: { type: 'boolean' }, 'no-check': { type: 'boolean' }, keep: { type: 'boolean' } } });
const size = values.size ?? 'max';
const bin = join(PACKAGE_ROOT, 'bin', 'rosterd.js');
const probe = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'bench', 'rss-probe.js')).href;
const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

const dir = await mkdtemp(join(tmpdir(), 'rosterd-bench-'));
const secret = 'bench-secret';
const sim = spawn(process.execPath, [bin, 'sim', '--size', size, '--port', '0', '--seed', '1'], {
  env: { ...process.env, ROSTERD_DEMO_SIS_SECRET: secret },
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const ready = JSON.parse(await firstLine(sim.stdout!)) as { tokenUrl: string; urlPrefix: string; clientId: string; orgId: string };
  await writeFile(join(dir, 'secret'), secret);
  const config = join(dir, 'oneroster.yaml');
  await writeFile(
    config,
    `version: 1
storage:
  url: sqlite:./rosterd.db
exports:
  dir: ./exports
integrations:
  - name: bench
    sis:
      version: "1.2"
      tokenUrl: ${ready.tokenUrl}
      urlPrefix: ${ready.urlPrefix}
      clientId: ${ready.clientId}
      clientSecret: { file: ./secret }
      orgId: ${ready.orgId}
      pageSize: 1000
      timeoutSeconds: 120
    hapara:
      classNameFormat: CourseName-Period
      studentFolders: true
      folderNameSuffix: "2026"
`,
  );
  log(`simulated SIS (${size}) at ${ready.urlPrefix}; working in ${dir}`);

  log('floor: reading every collection, discarding...');
  const floor = await measure([join(PACKAGE_ROOT, 'dist', 'bench', 'floor.js'), config], dir);
  const counts = (JSON.parse(floor.stdout) as { counts: Record<string, number> }).counts;
  log(`  ${floor.seconds.toFixed(1)} s, peak RSS ${mb(floor.peakRssBytes)}; ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);

  log('first sync into an empty store...');
  const first = await measure([bin, 'sync', '-c', config, '--job', 'all', '--json'], dir);
  log(`  ${first.seconds.toFixed(1)} s, peak RSS ${mb(first.peakRssBytes)}`);

  log('unchanged re-sync...');
  const again = await measure([bin, 'sync', '-c', config, '--job', 'all', '--json'], dir);
  log(`  ${again.seconds.toFixed(1)} s, peak RSS ${mb(again.peakRssBytes)}`);
  const resyncRuns = (JSON.parse(again.stdout) as { runs: { counts: Record<string, { created: number; updated: number; deleted: number }> }[] }).runs;
  const resyncWrites = resyncRuns.flatMap((r) => Object.values(r.counts)).reduce((n, c) => n + c.created + c.updated + c.deleted, 0);

  const result = {
    size,
    records: counts,
    floor: { seconds: round(floor.seconds), peakRssBytes: floor.peakRssBytes },
    firstSync: { seconds: round(first.seconds), ratio: round(first.seconds / floor.seconds), peakRssBytes: first.peakRssBytes },
    resync: { seconds: round(again.seconds), ratio: round(again.seconds / floor.seconds), peakRssBytes: again.peakRssBytes, rosterWrites: resyncWrites },
    bars: BARS,
  };
  const failures: string[] = [];
  if (result.firstSync.ratio > BARS.firstSyncRatio) failures.push(`first sync ${result.firstSync.ratio}x the floor (bar ${BARS.firstSyncRatio}x)`);
  if (result.resync.ratio > BARS.resyncRatio) failures.push(`re-sync ${result.resync.ratio}x the floor (bar ${BARS.resyncRatio}x)`);
  for (const [name, m] of [['floor', floor], ['first sync', first], ['re-sync', again]] as const) {
    if (m.peakRssBytes > BARS.peakRssBytes) failures.push(`${name} peak RSS ${mb(m.peakRssBytes)} (bar ${mb(BARS.peakRssBytes)})`);
  }
  if (resyncWrites !== 0) failures.push(`the unchanged re-sync reported ${resyncWrites} roster changes`);

  if (values.json) process.stdout.write(`${JSON.stringify({ ...result, failures }, null, 2)}\n`);
  else {
    process.stdout.write(
      [
        `rosterd benchmark, district size ${size}`,
        `                 seconds   x floor   peak RSS`,
        `  floor        ${pad(floor.seconds)}      1.00   ${mb(floor.peakRssBytes)}`,
        `  first sync   ${pad(first.seconds)}   ${pad(result.firstSync.ratio, 7)}   ${mb(first.peakRssBytes)}   (bar ${BARS.firstSyncRatio}x)`,
        `  re-sync      ${pad(again.seconds)}   ${pad(result.resync.ratio, 7)}   ${mb(again.peakRssBytes)}   (bar ${BARS.resyncRatio}x)`,
        failures.length === 0 ? 'all bars met' : `MISSED: ${failures.join('; ')}`,
      ].join('\n') + '\n',
    );
  }
  process.exitCode = failures.length > 0 && !values['no-check'] ? 1 : 0;
} finally {
  sim.kill('SIGTERM');
  if (!values.keep) await rm(dir, { recursive: true, force: true });
}

/** Runs one measured child process; a non-zero exit is a failed benchmark, not a number. */
async function measure(args: string[], cwd: string): Promise<Measure> {
  const rssFile = join(cwd, `rss-${Date.now()}`);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', probe, ...args], {
    cwd,
    env: { ...process.env, ROSTERD_BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${args.slice(1).join(' ')} exited ${code}:\n${stderr.slice(-2000)}`);
  const peakRssBytes = Number(await readFile(rssFile, 'utf8'));
  return { seconds, peakRssBytes, stdout };
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stream });
    rl.once('line', (line) => {
      resolve(line);
      rl.close();
    });
    rl.once('close', () => reject(new Error('the simulated SIS exited before it was ready')));
  });
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

function pad(n: number, width = 7): string {
  return n.toFixed(2).padStart(width);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
