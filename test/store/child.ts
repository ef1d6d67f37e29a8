import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A second process using the same store file: opens it, optionally starts a run and holds its lock until told
 * to finish on stdin ("finish\n"), or dies holding it (mode "crash"). Prints one JSON line when ready.
 */
const CHILD_SOURCE = `
import { createInterface } from 'node:readline';
const [dbModule, url, mode, integration, job] = process.argv.slice(2);
const { openStore } = await import(dbModule);
const store = await openStore(url, { lockStaleMs: 60_000, heartbeatIntervalMs: 200 });
if (mode === 'open') {
  const tables = await store.knex('rosterd_migrations').count({ n: '*' });
  console.log(JSON.stringify({ ready: true, migrations: Number(tables[0].n) }));
  await store.close();
  process.exit(0);
}
const run = await store.runs.start({ integration, job, trigger: 'manual', wait: mode === 'wait' ? { timeoutMs: 20_000 } : undefined });
console.log(JSON.stringify({ ready: true, runId: run.id, pid: process.pid }));
if (mode === 'crash') process.kill(process.pid, 'SIGKILL');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === 'finish') {
    await store.runs.finish(run.id, { status: 'succeeded' });
    await store.close();
    console.log(JSON.stringify({ finished: run.id }));
    process.exit(0);
  }
}
`;

export interface StoreChild {
  proc: ChildProcess;
  ready: Promise<Record<string, unknown>>;
  lines: AsyncIterableIterator<string>;
  exited: Promise<number | null>;
}

export function writeChildScript(dir: string): string {
  const file = join(dir, 'store-child.mjs');
  writeFileSync(file, CHILD_SOURCE);
  return file;
}

export function spawnStoreChild(script: string, dbModule: string, url: string, mode: 'open' | 'hold' | 'crash' | 'wait', integration = 'springfield', job = 'classes'): StoreChild {
  const proc = spawn(process.execPath, [script, dbModule, url, mode, integration, job], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const ready = (async () => {
    const next = await lines.next();
    if (next.done) {
      await exited;
      throw new Error(`child exited before it was ready: ${stderr}`);
    }
    return JSON.parse(next.value) as Record<string, unknown>;
  })();
  return { proc, ready, lines, exited };
}
