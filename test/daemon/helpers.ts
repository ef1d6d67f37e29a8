import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type RunningSim, type SimOptions } from '../../daemon/src/sim/index.js';
import { ROSTERD_BIN } from '../helpers/cli.js';
import { integrationYaml as sharedIntegrationYaml } from '../helpers/config.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface DaemonConfigOptions {
  name?: string;
  adminToken?: string | null;
  classesCron?: string;
  studentsCron?: string;
  syncDaily?: boolean;
  catchUp?: 'once' | 'none';
  graceSeconds?: number;
  configCheckSeconds?: number;
  pageSize?: number;
  keep?: number;
  extraIntegrations?: string;
  logLevel?: string;
  maxConcurrentSyncs?: number;
  retentionDays?: number;
  storageUrl?: string;
  exportsDir?: string;
  /** More keys of the integration, as YAML indented by four spaces (safety, quality...). */
  extra?: string;
}

export interface DaemonDir {
  dir: string;
  file: string;
  secretFile: string;
  adminToken: string | null;
  yaml(options?: DaemonConfigOptions): string;
  cleanup(): Promise<void>;
}

/** One integration for a daemon test: the shared test entry (test/helpers/config.ts) with its schedule. */
export function integrationYaml(sim: Pick<RunningSim, 'tokenUrl' | 'urlPrefix' | 'clientId' | 'orgId'>, o: DaemonConfigOptions = {}): string {
  return sharedIntegrationYaml(sim, {
    name: o.name,
    pageSize: o.pageSize ?? 200,
    extra: `    schedule:
      syncDaily: ${o.syncDaily ?? true}
      timezone: Pacific/Auckland
      classes: "${o.classesCron ?? '0 22 * * *'}"
      students: "${o.studentsCron ?? '0 0 * * *'}"
      catchUp: ${o.catchUp ?? 'none'}${o.extra ? `\n${o.extra}` : ''}`,
  });
}

/** A temp folder with a daemon config for `sim`: secrets in files beside it, store and exports inside it. */
export type SimEndpoint = Pick<RunningSim, 'tokenUrl' | 'urlPrefix' | 'clientId' | 'orgId' | 'clientSecret'>;

export async function daemonDir(sim: SimEndpoint, base: DaemonConfigOptions = {}): Promise<DaemonDir> {
  const dir = await mkdtemp(join(tmpdir(), 'rosterd-daemon-'));
  const secretFile = join(dir, 'sis-secret');
  await writeFile(secretFile, `${sim.clientSecret}\n`, { mode: 0o600 });
  const adminToken = base.adminToken === undefined ? 'admin-token-for-tests-1234' : base.adminToken;
  if (adminToken) await writeFile(join(dir, 'admin-token'), `${adminToken}\n`, { mode: 0o600 });
  const yaml = (o: DaemonConfigOptions = {}) => {
    const c = { ...base, ...o };
    return `version: 1
storage:
  url: ${JSON.stringify(c.storageUrl ?? 'sqlite:./rosterd.db')}
  retentionDays: ${c.retentionDays ?? 90}
server:
  listen: 127.0.0.1:0
${adminToken ? '  adminToken: { file: ./admin-token }\n' : ''}exports:
  dir: ${c.exportsDir ?? './exports'}
  keep: ${c.keep ?? 2}
daemon:
  logLevel: ${c.logLevel ?? 'info'}
  shutdownGraceSeconds: ${c.graceSeconds ?? 25}
  configCheckSeconds: ${c.configCheckSeconds ?? 30}
  maxConcurrentSyncs: ${c.maxConcurrentSyncs ?? 2}
integrations:
${integrationYaml(sim, c)}${c.extraIntegrations ?? ''}`;
  };
  const file = join(dir, 'oneroster.yaml');
  await writeFile(file, yaml());
  return { dir, file, secretFile, adminToken, yaml, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface RunningDaemon {
  child: ChildProcess;
  port: number;
  base: string;
  lines: LogLine[];
  stdout(): string;
  stderr(): string;
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node bin/rosterd.js run -c FILE` as a child process, resolved once it logged `rosterd ready`. */
export async function startDaemon(file: string, options: { env?: NodeJS.ProcessEnv; args?: string[]; cwd?: string } = {}): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [ROSTERD_BIN, 'run', '-c', file, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, ROSTERD_LOG_LEVEL: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let partial = '';
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      if (p.trim() === '') continue;
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        lines.push({ msg: `NOT JSON: ${p}` });
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  const waitFor = (pred: (l: LogLine) => boolean, timeoutMs = 20_000, what = 'log line'): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = lines.find(pred);
        if (hit) {
          finish();
          resolve(hit);
        } else if (done) {
          finish();
          reject(new Error(`daemon exited before ${what}\nstdout:\n${out}\nstderr:\n${err}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${what}\nstdout:\n${out.slice(-4000)}\nstderr:\n${err}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const starting = await waitFor((l) => l.msg === 'rosterd starting', 20_000, 'rosterd starting');
  await waitFor((l) => l.msg === 'rosterd ready', 20_000, 'rosterd ready');
  const port = Number(String(starting.listen).split(':').pop());
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    lines,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    exited,
    async stop() {
      if (!done) child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function withSim<T>(options: Partial<SimOptions>, fn: (sim: RunningSim) => Promise<T>): Promise<T> {
  const sim = await startSim({ version: '1.2', size: 'tiny', seed: 1, ...options });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

export async function getJson(url: string, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* plain text endpoints */
  }
  return { status: res.status, body };
}

export async function postJson(url: string, payload: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}

export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[k!] = v!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The finished runs of the data log once the daemon is idle: a run is recorded as finished before its worker
 * has published the exports and handed the job back, so a trigger in between would get 409.
 */
export async function finishedRuns(base: string, token: string, enough: (runs: { id: number; job: string; status: string }[]) => boolean, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const runs = (await getJson(`${base}/api/v1/runs`, token)).body.runs as { id: number; job: string; status: string }[];
    const health = (await getJson(`${base}/healthz`)).body as { integrations: { running: string[]; queued: string[] }[] };
    const idle = health.integrations.every((i) => i.running.length === 0 && i.queued.length === 0);
    if (idle && runs.every((r) => r.status !== 'running') && enough(runs)) return runs;
    await sleep(100);
  }
  throw new Error(`the daemon at ${base} did not finish the expected runs within ${timeoutMs} ms`);
}
