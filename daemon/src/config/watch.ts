/**
 * Notices when the config file's content changes. It watches the file's DIRECTORY, not the file: a Kubernetes
 * ConfigMap volume updates by swapping a `..data` symlink, so a watch on the file itself sees the first update
 * and then nothing (its inode is gone). Events are debounced, and only a changed checksum counts; a timer
 * re-checks the checksum too, for file systems whose events get lost (NFS, some overlay mounts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface ConfigWatchOptions {
  /** The checksum of the content already loaded (sha256 hex of the bytes, as loadConfig computes it). */
  checksum: string;
  onChange: (checksum: string) => void;
  debounceMs?: number;
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

export interface ConfigWatch {
  /** The content the watcher last saw (loaded or not), so a still-broken file is reported once, not every tick. */
  readonly seen: string;
  setInterval(ms: number): void;
  /** Re-checks now (used by tests and after a forced reload). */
  check(): Promise<void>;
  close(): Promise<void>;
}

export async function fileChecksum(file: string): Promise<string | null> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  } catch {
    return null; // mid-swap or deleted: the next event or tick looks again
  }
}

export function watchConfig(file: string, options: ConfigWatchOptions): ConfigWatch {
  const path = resolve(file);
  let seen = options.checksum;
  let debounce: NodeJS.Timeout | null = null;
  let timer: NodeJS.Timeout | null = null;
  let checking: Promise<void> | null = null;

  const check = async (): Promise<void> => {
    // One check at a time: two overlapping ones could report the same change twice.
    while (checking) await checking;
    checking = (async () => {
      const sum = await fileChecksum(path);
      if (sum !== null && sum !== seen) {
        seen = sum;
        options.onChange(sum);
      }
    })().catch((err: unknown) => options.onError?.(err));
    try {
      await checking;
    } finally {
      checking = null;
    }
  };
  const schedule = () => {
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => void check(), options.debounceMs ?? 250);
  };
  const setTick = (ms: number) => {
    if (timer) clearInterval(timer);
    timer = setInterval(() => void check(), Math.max(100, ms));
    timer.unref();
  };

  const watcher: FSWatcher = watch(dirname(path), { ignoreInitial: true, depth: 0, followSymlinks: false });
  // Only the config's own name and the `..data` / `..<timestamp>` entries of a ConfigMap volume matter: the store
  // or exports may live in the same folder, and their constant writes need not trigger checksum reads.
  const name = basename(path);
  watcher.on('all', (_event, changed) => {
    const entry = basename(changed);
    if (entry === name || entry.startsWith('..')) schedule();
  });
  watcher.on('error', (err) => options.onError?.(err));
  setTick(options.intervalMs ?? 30_000);

  return {
    get seen() {
      return seen;
    },
    setInterval: setTick,
    check,
    async close() {
      if (debounce) clearTimeout(debounce);
      if (timer) clearInterval(timer);
      await watcher.close();
    },
  };
}
