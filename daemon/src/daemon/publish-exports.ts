/**
 * After a run: the integration's export files go to a new folder per run, exports.dir/<integration>/<runId>/,
 * written under a temporary name and renamed when complete; then the `latest` symlink is replaced atomically
 * (a new link renamed over the old), so a reader of `latest` never sees a half-written set. Only the newest
 * `keep` run folders stay (and always the one `latest` names).
 */
import { mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { IntegrationConfig } from '../config/types.js';
import { RosterdError } from '../errors.js';
import type { Store } from '../store/db.js';
import { writeRosterExports } from '../exports/index.js';

export const LATEST = 'latest';

type WriteExports = (store: Store, integration: string, outDir: string) => Promise<unknown>;

export async function publishRunExports(
  store: Store,
  integration: IntegrationConfig,
  options: { dir: string; keep: number },
  runId: number,
  write?: WriteExports,
): Promise<string> {
  const base = join(options.dir, integration.name);
  const final = join(base, String(runId));
  const staging = join(base, `.tmp-${runId}-${process.pid}`);
  try {
    await mkdir(base, { recursive: true });
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging);
    await (write ?? writeRosterExports)(store, integration.name, staging);
    await rm(final, { recursive: true, force: true });
    await rename(staging, final);
    const link = join(base, `.${LATEST}-${runId}-${process.pid}`);
    await rm(link, { force: true });
    await symlink(String(runId), link); // relative: the folder can move or be mounted elsewhere
    await rename(link, join(base, LATEST));
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    const why = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new RosterdError('ROSTERD_EXPORT_WRITE_FAILED', `could not write the export files of run ${runId} to ${final}: ${why}`, {
      hint: `make ${options.dir} writable and give it free space; the next run writes them again (or run \`rosterd export\`).`,
      dataEffect: 'nothing changed',
      cause: err,
    });
  }
  await prune(base, options.keep).catch(() => undefined); // pruning failing must not fail a published export
  return final;
}

async function prune(base: string, keep: number): Promise<void> {
  const current = await readlink(join(base, LATEST)).catch(() => null);
  const runs = (await readdir(base)).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => b - a);
  for (const id of runs.slice(Math.max(1, keep))) {
    if (String(id) === current) continue;
    await rm(join(base, String(id)), { recursive: true, force: true });
  }
}
