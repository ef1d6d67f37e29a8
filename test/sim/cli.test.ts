/** `rosterd sim` as a user runs it: a real child process of bin/rosterd.js (built from the sources first when stale). */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, test } from 'vitest';
import { PACKAGE_ROOT } from '../../daemon/src/version.js';

const BIN = join(PACKAGE_ROOT, 'bin', 'rosterd.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  const built = join(PACKAGE_ROOT, 'dist', 'cli', 'sim.js');
  const sources = Math.max(newestMtime(join(PACKAGE_ROOT, 'daemon', 'src', 'sim')), statSync(join(PACKAGE_ROOT, 'daemon', 'src', 'cli', 'sim.ts')).mtimeMs);
  if (!existsSync(built) || statSync(built).mtimeMs < sources) {
    // tsc still emits when other areas have type errors; only the emitted files matter here.
    spawnSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PACKAGE_ROOT, 'tsconfig.build.json')], { cwd: PACKAGE_ROOT });
  }
  expect(existsSync(built)).toBe(true);
}, 120_000);

function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, 'sim', ...args], { cwd: PACKAGE_ROOT, env: { ...process.env, ...env } }) as ChildProcessWithoutNullStreams;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (line) => resolve(line));
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
  });
  return { child, firstLine, exited, stderr: () => stderr };
}

describe('rosterd sim', () => {
  test('prints one JSON line without the secret, serves the district, exits 0 on SIGTERM', async () => {
    const secret = 'cli-test-secret-4f1d';
    const run = startCli(['--port', '0', '--size', 'tiny', '--version', '1.1', '--seed', '3', '--today', '2026-03-10', '--debug'], { ROSTERD_DEMO_SIS_SECRET: secret });
    const info = JSON.parse(await run.firstLine) as Record<string, string>;
    expect(Object.keys(info).sort()).toEqual(['clientId', 'orgId', 'tokenUrl', 'url', 'urlPrefix']);
    expect(info.urlPrefix).toBe(`${info.url}/ims/oneroster/v1p1`);
    expect(info.clientId).toBe('rosterd-demo');
    const tok = await fetch(info.tokenUrl!, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: info.clientId!, client_secret: secret }) });
    expect(tok.status).toBe(200);
    const { access_token } = (await tok.json()) as { access_token: string };
    const users = await fetch(`${info.urlPrefix}/users?limit=5`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(users.status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toContain('GET /ims/oneroster/v1p1/users');
    expect(run.stderr()).not.toContain(secret);
  });

  test('--print-secret includes it; the demo default applies without the env var; faults from flags', async () => {
    const env = { ROSTERD_DEMO_SIS_SECRET: '' };
    const run = startCli(['--port', '0', '--size', 'tiny', '--print-secret', '--clamp-limit', '3', '--omit-total-count'], env);
    const info = JSON.parse(await run.firstLine) as Record<string, string>;
    expect(info.clientSecret).toBe('demo-secret-change-me');
    const tok = await fetch(info.tokenUrl!, { method: 'POST', headers: { authorization: 'Basic ' + Buffer.from(`${info.clientId}:${info.clientSecret}`).toString('base64') }, body: 'grant_type=client_credentials' });
    const { access_token } = (await tok.json()) as { access_token: string };
    const res = await fetch(`${info.urlPrefix}/users?limit=50`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(((await res.json()) as { users: unknown[] }).users).toHaveLength(3);
    expect(res.headers.get('x-total-count')).toBeNull();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  test('bad options are usage errors (exit 2) that name the option', () => {
    for (const [args, words] of [
      [['--version', '2.0'], '--version'],
      [['--size', 'huge'], '--size'],
      [['--port', 'abc'], '--port'],
      [['--today', 'yesterday'], '--today'],
      [['--bogus'], 'bogus'],
    ] as const) {
      const r = spawnSync(process.execPath, [BIN, 'sim', ...args], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(words);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  test('a port in use is a clear failure, not a stack trace', async () => {
    const first = startCli(['--port', '0', '--size', 'tiny']);
    const info = JSON.parse(await first.firstLine) as { url: string };
    const port = new URL(info.url).port;
    const r = spawnSync(process.execPath, [BIN, 'sim', '--port', port, '--size', 'tiny'], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('already in use');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });
});
