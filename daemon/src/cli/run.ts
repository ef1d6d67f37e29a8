import { policyForFile } from '../config/index.js';
import { UsageError } from '../errors.js';
import { Daemon } from '../daemon/daemon.js';
import { configOptions, configPaths, parseCommandArgs, secretPolicyOptions } from './args.js';
import { ExitCode } from './exit-codes.js';
import type { Command } from './main.js';

/**
 * `rosterd run`: the daemon in the foreground (as a container runs it). JSON log lines on stdout; SIGHUP
 * reloads the config; SIGTERM or SIGINT stop it gracefully and exit 0.
 */
const command: Command = {
  summary: 'run the daemon: schedules, live config reload, health, metrics, admin API',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...configOptions, ...secretPolicyOptions, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      process.stdout.write(
        'Usage: rosterd run [-c FILE] [--allow-secret-dir DIR] [--allow-secret-env PREFIX]\n\n' +
          'Runs the daemon until SIGTERM/SIGINT. Serves /livez, /readyz, /healthz, /metrics, POST /-/reload and /api/v1 on server.listen.\n' +
          'Log level: daemon.logLevel in the config, or ROSTERD_LOG_LEVEL.\n',
      );
      return ExitCode.ok;
    }
    const paths = configPaths(values);
    if (paths.length !== 1) throw new UsageError(`rosterd run reads one config file, but ${paths.length} were given with -c`);
    const file = paths[0]!;
    // Until the daemon is up, a stop signal is remembered (not fatal mid-migration) and SIGHUP is ignored
    // (its default action would kill the process; the config is being read anyway).
    let early: NodeJS.Signals | null = null;
    const remember = (signal: NodeJS.Signals) => (early ??= signal);
    const ignore = () => undefined;
    process.on('SIGTERM', remember);
    process.on('SIGINT', remember);
    process.on('SIGHUP', ignore);
    const started = await Daemon.start({ file, policy: policyForFile(values, file) }).finally(() => {
      process.off('SIGTERM', remember);
      process.off('SIGINT', remember);
      process.off('SIGHUP', ignore);
    });
    if (!started.ok) {
      if (started.problems) {
        for (const p of started.problems) process.stderr.write(`${p}\n`);
        process.stderr.write(`${file}: the config has ${started.problems.length} problem(s); the daemon did not start and nothing was changed. Fix them (rosterd validate -c ${file}) and start again.\n`);
      } else if (started.error) {
        process.stderr.write(`rosterd run: ${started.error}\n`);
      }
      return started.exitCode;
    }
    if (early) {
      await started.daemon.stop(early);
      return ExitCode.ok;
    }
    return serveUntilSignal(started.daemon);
  },
};

export function serveUntilSignal(daemon: Daemon): Promise<number> {
  return new Promise((resolve) => {
    let signals = 0;
    const onStop = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        // A second signal: the operator does not want to wait for the grace period.
        daemon.logger.warn({ signal }, 'second stop signal: stopping the running syncs now');
        daemon.abortNow();
        return;
      }
      void daemon.stop(signal).then(() => {
        cleanup();
        resolve(ExitCode.ok);
      });
    };
    const onHup = () => void daemon.reload('SIGHUP');
    const cleanup = () => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHup);
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
  });
}

export default command;
