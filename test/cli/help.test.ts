import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** Every command answers --help with what it does and how to call it, and exits 0 without doing anything. */
describe('rosterd <command> --help', () => {
  const commands = ['validate', 'schema', 'sync', 'preview', 'export', 'plan', 'approve', 'discard', 'logs', 'sim', 'run', 'backup', 'demo'];
  it.each(commands)('%s --help', async (command) => {
    const r = await runCli([command, '--help'], { env: { ROSTERD_CONFIG: '/nonexistent/oneroster.yaml' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`rosterd ${command}`, 'i'));
    expect(r.stderr).toBe('');
  });

  it('rosterd --help lists every command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const command of commands) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});
