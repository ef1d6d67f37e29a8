import { chmod, mkdir, mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IntegrationConfig } from '../../daemon/src/config/types.js';
import { publishRunExports } from '../../daemon/src/daemon/publish-exports.js';
import type { Store } from '../../daemon/src/store/db.js';

const integration = { name: 'springfield' } as IntegrationConfig;
const store = {} as Store;
const writer = async (_s: Store, name: string, dir: string) => writeFile(join(dir, 'classes.csv'), `class_id for ${name}\n`);
let dir = '';

afterEach(async () => {
  if (dir) {
    await chmod(dir, 0o700).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

describe('per-run export folders', () => {
  it('writes each run to its own folder, switches `latest` to it, keeps the newest N', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rosterd-exports-'));
    for (const runId of [3, 5, 8, 13]) {
      const out = await publishRunExports(store, integration, { dir, keep: 2 }, runId, writer);
      expect(out).toBe(join(dir, 'springfield', String(runId)));
      expect(await readlink(join(dir, 'springfield', 'latest'))).toBe(String(runId));
    }
    expect((await readdir(join(dir, 'springfield'))).sort()).toEqual(['13', '8', 'latest']);
  });

  it('an unusable folder is a clear error naming it (works as root too: a file where the folder should be)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rosterd-exports-'));
    await writeFile(join(dir, 'springfield'), 'not a folder');
    const err = await publishRunExports(store, integration, { dir, keep: 3 }, 2, writer).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ROSTERD_EXPORT_WRITE_FAILED' });
    expect(String((err as Error).message)).toContain(join(dir, 'springfield', '2'));
    expect(String((err as Error).message)).toMatch(/EEXIST|ENOTDIR/);
  });

  it('a failed run of the writer keeps `latest` on the last complete run', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rosterd-exports-'));
    await publishRunExports(store, integration, { dir, keep: 3 }, 1, writer);
    const failing = async () => {
      throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    };
    await expect(publishRunExports(store, integration, { dir, keep: 3 }, 2, failing)).rejects.toMatchObject({ code: 'ROSTERD_EXPORT_WRITE_FAILED' });
    expect(await readlink(join(dir, 'springfield', 'latest'))).toBe('1');
    expect((await readdir(join(dir, 'springfield'))).sort()).toEqual(['1', 'latest']);
  });

  it('a failing writer leaves no half folder behind', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rosterd-exports-'));
    await mkdir(join(dir, 'springfield'));
    const failing = async () => {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    };
    await expect(publishRunExports(store, integration, { dir, keep: 3 }, 7, failing)).rejects.toMatchObject({ code: 'ROSTERD_EXPORT_WRITE_FAILED', message: expect.stringContaining('ENOSPC') });
    expect(await readdir(join(dir, 'springfield'))).toEqual([]);
  });
});
