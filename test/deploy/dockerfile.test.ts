/**
 * The Dockerfile, checked without a container engine: dockerfilelint passes, and the properties the image
 * promises are really in it (multi-stage with the native module built in the build stage, a slim runtime on
 * the same Node.js LTS that scripts/test-on-lts.sh tests on, production dependencies only, a numeric
 * non-root user, exec-form entrypoint so node gets SIGTERM, OCI labels). scripts/check-image.sh reproduces
 * the install and start steps themselves.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const TEXT = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction { op: string; args: string }
/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

function stages(text: string): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of instructions(text)) {
    if (i.op === 'FROM') out.push([]);
    out[out.length - 1]?.push(i);
  }
  return out;
}

function dockerfilelint(file: string) {
  return spawnSync(process.execPath, [join(ROOT, 'node_modules/dockerfilelint/bin/dockerfilelint'), file], { encoding: 'utf8' });
}

describe('the Dockerfile', () => {
  const [build, runtime] = [stages(TEXT)[0]!, stages(TEXT).at(-1)!];
  const ltsMajor = Number(/^(\d+)/.exec(JSON.parse(readFileSync(join(ROOT, 'scripts/node-lts/package.json'), 'utf8')).dependencies.node)![1]);

  it('passes dockerfilelint, which does flag a bad Dockerfile', () => {
    const ok = dockerfilelint(join(ROOT, 'Dockerfile'));
    expect(ok.status, ok.stdout).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'rosterd-dockerfile-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), 'FROM node\nRUN apt-get update\nEXPOSE 80000\n');
      expect(dockerfilelint(join(dir, 'Dockerfile')).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds in a separate stage: native module from source, TypeScript, then dev dependencies pruned', () => {
    expect(stages(TEXT).length).toBeGreaterThanOrEqual(2);
    expect(build[0]!.args).toMatch(new RegExp(`^node:${ltsMajor}-bookworm AS build$`));
    const run = build.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(build.some((i) => i.op === 'ENV' && /npm_config_build_from_source=true/.test(i.args))).toBe(true);
    expect(run).toMatch(/npm ci/);
    expect(run).toMatch(/tsc -p tsconfig.build.json/);
    expect(run).toMatch(/npm prune --omit=dev/);
  });

  it('runs on the slim image of the Node.js LTS the suite is tested on, with production files only', () => {
    expect(runtime[0]!.args).toBe(`node:${ltsMajor}-bookworm-slim`);
    const copies = runtime.filter((i) => i.op === 'COPY').map((i) => i.args);
    for (const path of ['node_modules', 'dist', 'bin', 'schemas', 'package.json']) expect(copies.some((c) => c.startsWith('--from=build') && c.includes(`/src/${path}`)), path).toBe(true);
    expect(copies.some((c) => /daemon|test|tsconfig/.test(c))).toBe(false);
  });

  it('runs as a numeric non-root user, node as PID 1 through an exec-form entrypoint', () => {
    const user = runtime.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const entrypoint = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint[0]).toBe('node');
    expect(entrypoint[1]).toBe('/app/bin/rosterd.js');
    expect(JSON.parse(runtime.find((i) => i.op === 'CMD')!.args)).toEqual(['run']);
  });

  it('has OCI labels', () => {
    const labels = runtime.filter((i) => i.op === 'LABEL').map((i) => i.args).join(' ');
    for (const key of ['title', 'description', 'version', 'revision', 'licenses']) expect(labels).toContain(`org.opencontainers.image.${key}=`);
  });

  it('matches the deployment: the user, port and data volume it expects', () => {
    const deployment = readFileSync(join(ROOT, 'deploy/base/deployment.yaml'), 'utf8');
    const uid = (runtime.filter((i) => i.op === 'USER').at(-1)?.args ?? '').split(':')[0];
    expect(deployment).toContain(`runAsUser: ${uid}`);
    expect(runtime.some((i) => i.op === 'EXPOSE' && i.args === '8080')).toBe(true);
    expect(runtime.some((i) => i.op === 'VOLUME' && i.args.includes('/var/lib/rosterd'))).toBe(true);
  });
});

describe('.dockerignore', () => {
  it('sends only the build inputs to the build', () => {
    const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    for (const p of ['package.json', 'package-lock.json', 'tsconfig.build.json', 'bin/', 'schemas/', 'daemon/']) expect(lines).toContain(`!${p}`);
    expect(lines.some((l) => /node_modules|dist/.test(l) && l.startsWith('!'))).toBe(false);
  });
});
