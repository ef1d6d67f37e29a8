/** Shared by the config tests: real files in a temp folder, and the validate command run in-process. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import validate from '../../daemon/src/cli/validate.js';
import type { ConfigProblem } from '../../daemon/src/config/index.js';

/** A valid config; BASE_LINES[n - 1] is line n. Cases edit lines so that expected positions are easy to read. */
export const BASE_LINES = [
  'version: 1', // 1
  'integrations:', // 2
  '  - name: springfield', // 3
  '    sis:', // 4
  '      version: "1.2"', // 5
  '      tokenUrl: https://sis.example.org/oauth/token', // 6
  '      urlPrefix: https://sis.example.org/ims/oneroster/rostering/v1p2', // 7
  '      clientId: rosterd', // 8
  '      clientSecret: { env: ROSTERD_SPRINGFIELD_SIS_SECRET }', // 9
  '      orgId: district-001', // 10
];

export const BASE = BASE_LINES.join('\n') + '\n';

/** BASE with line n replaced (or removed when text is null), optionally with lines appended. */
export function edit(replacements: Record<number, string | null>, append: string[] = []): string {
  const lines: string[] = [];
  BASE_LINES.forEach((line, i) => {
    const r = replacements[i + 1];
    if (r === undefined) lines.push(line);
    else if (r !== null) lines.push(r);
  });
  return [...lines, ...append].join('\n') + '\n';
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'rosterd-config-'));
  write(name: string, text: string): string {
    const file = join(this.path, name);
    writeFileSync(file, text);
    return file;
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Runs `rosterd validate` in-process with --format json: the exit code and the reported files. */
export async function runValidate(args: string[]): Promise<{ code: number; files: { file: string; ok: boolean; problems: ConfigProblem[] }[]; stdout: string }> {
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await validate.run([...args, '--format', 'json']);
    return { code, files: (JSON.parse(stdout) as { files: { file: string; ok: boolean; problems: ConfigProblem[] }[] }).files, stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
