import { loadConfig, policyForFile } from '../config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { startSim } from '../sim/index.js';
import { configOptions, parseCommandArgs } from './args.js';
import { ExitCode } from './exit-codes.js';
import { main, type Command } from './main.js';
import { serveUntilSignal } from './run.js';

/**
 * The newcomer's first run: start the simulated SIS where the shipped oneroster.yaml points and the daemon
 * beside it, sync each job once, and say where /healthz and /metrics are. Runs until Ctrl-C; `--smoke` does one
 * sync and one scrape of each, then exits (CI runs it). Everything stays on this machine (loopback only).
 */
const DEMO_SECRET_ENV = 'ROSTERD_DEMO_SIS_SECRET';

const command: Command = {
  summary: 'start the simulated SIS and the daemon with the shipped config (--smoke: one sync, one scrape, exit)',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...configOptions, size: { type: 'string' }, seed: { type: 'string' }, smoke: { type: 'boolean' } });
    const file = values.config?.[0] ?? process.env.ROSTERD_CONFIG ?? 'oneroster.yaml';
    // The demo secret is not a real credential; the sim and the daemon agree on it through the environment,
    // exactly as a real deployment passes the SIS secret.
    process.env[DEMO_SECRET_ENV] ??= 'demo-secret-change-me';
    const loaded = await loadConfig(file);
    if (!loaded.ok) return main(['validate', '-c', file]);
    const integration = loaded.config.integrations[0];
    if (!integration) {
      process.stderr.write(`rosterd demo: ${file} has no integration to demonstrate.\n`);
      return ExitCode.config;
    }
    const tokenUrl = new URL(integration.sis.tokenUrl);
    const sim = await startSim({
      version: integration.sis.version,
      size: (values.size as 'small') ?? 'small',
      seed: Number(values.seed ?? 1),
      host: tokenUrl.hostname,
      port: Number(tokenUrl.port),
      clientId: integration.sis.clientId,
      clientSecret: process.env[DEMO_SECRET_ENV],
    });
    const say = (text: string) => process.stderr.write(`${text}\n`); // stdout carries the daemon's JSON log lines
    try {
      say(`rosterd demo: simulated SIS (OneRoster ${integration.sis.version}) at ${sim.url}`);
      const started = await Daemon.start({ file, policy: policyForFile({}, file) });
      if (!started.ok) {
        for (const p of started.problems ?? []) say(p);
        if (started.error) say(`rosterd demo: ${started.error}`);
        return started.exitCode;
      }
      const daemon = started.daemon;
      const base = `http://${daemon.address.host.includes(':') ? `[${daemon.address.host}]` : daemon.address.host}:${daemon.address.port}`;
      say(`rosterd demo: daemon at ${base}: health ${base}/healthz, metrics ${base}/metrics, liveness ${base}/livez`);
      let trigger = daemon.trigger(integration.name, ['classes', 'students']);
      if (!trigger.ok && trigger.reason === 'busy') {
        // A catch-up run (the data log says one was missed) got there first: let it finish, then sync.
        await daemon.waitIdle(120_000);
        trigger = daemon.trigger(integration.name, ['classes', 'students']);
      }
      let code: number = ExitCode.ok;
      if (trigger.ok) {
        const results = await trigger.ticket.done;
        for (const r of results) say(`rosterd demo: ${r.job} sync of ${r.integration}: ${r.status}${r.error ? ` (${r.error.code})` : ''}`);
        if (results.length === 0 || results.some((r) => r.status !== 'succeeded' && r.status !== 'succeeded_with_issues')) code = ExitCode.failed;
      } else {
        say(`rosterd demo: could not start a sync (${trigger.reason})`);
        code = ExitCode.failed;
      }
      if (values.smoke) {
        const metrics = await fetch(`${base}/metrics`);
        const health = await fetch(`${base}/healthz`);
        const metricsText = await metrics.text();
        const healthBody = (await health.json()) as { status: string; integrations: { name: string; status: string }[] };
        say(`rosterd demo: GET /metrics ${metrics.status} (${metricsText.split('\n').filter((l) => l.startsWith('rosterd_')).length} rosterd_ samples)`);
        say(`rosterd demo: GET /healthz ${health.status}: ${healthBody.integrations.map((i) => `${i.name} ${i.status}`).join(', ')}`);
        if (metrics.status !== 200 || health.status !== 200) code = ExitCode.failed;
        await daemon.stop('demo --smoke done');
        return code;
      }
      say('rosterd demo: syncing on the schedule in oneroster.yaml; press Ctrl-C to stop.');
      return await serveUntilSignal(daemon);
    } finally {
      await sim.close();
    }
  },
};

export default command;
