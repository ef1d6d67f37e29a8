import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');

export function makeTempDir(prefix = 'rosterd-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The compiled store is cached by the hash of its sources, so test files share one compile. */
function storeSourcesHash(): string {
  const hash = createHash('sha256');
  const src = join(REPO, 'daemon', 'src');
  const files = [join(src, 'errors.ts'), ...walk(join(src, 'store'))].sort();
  for (const file of files) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/**
 * Compiles only the store (and what it imports) into a private folder for child processes. Building the whole
 * project into dist/ would race with other work in progress and fail on files that are not ours.
 * Returns the path of the compiled db.js.
 */
export function compileStoreForChildren(): string {
  const final = join(tmpdir(), `rosterd-test-store-${storeSourcesHash()}`);
  const entry = join(final, 'store', 'db.js');
  if (existsSync(entry)) return entry;
  const out = `${final}.${process.pid}.tmp`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync(
    process.execPath,
    [
      join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022',
      '--strict', '--skipLibCheck', '--types', 'node', '--esModuleInterop',
      '--rootDir', join(REPO, 'daemon', 'src'), '--outDir', out,
      join(REPO, 'daemon', 'src', 'store', 'db.ts'),
    ],
    { cwd: REPO, stdio: 'pipe' },
  );
  // ESM, and the repo's packages, for the compiled files.
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(REPO, 'node_modules'), join(out, 'node_modules'), 'dir');
  try {
    renameSync(out, final);
  } catch {
    // Another test file finished the same compile first: use theirs.
    rmSync(out, { recursive: true, force: true });
  }
  return entry;
}
