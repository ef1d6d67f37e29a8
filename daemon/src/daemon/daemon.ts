/**
 * The long-running daemon (`rosterd run`): loads the config (a bad first config is refused), serves HTTP,
 * opens and migrates the store, restores metrics from the data log, schedules syncs, catches up missed runs,
 * follows the config file, and stops gracefully.
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { formatProblem, loadConfig, resolveSecret } from '../config/index.js';
import type { Config, SecretPolicy } from '../config/types.js';
import { watchConfig, type ConfigWatch } from '../config/watch.js';
import { DaemonMetrics } from '../http/metrics.js';
import { createHttpServer, listen } from '../http/server.js';
import { createLogger, effectiveLevel, errorFields } from '../logging/logger.js';
import { JOBS, missedJobs, Scheduler } from '../schedule/scheduler.js';
import { openStore, type Store } from '../store/db.js';
import { parseStoreUrl } from '../store/url.js';
import { awaitingDecision, FINISHED, type Job } from '../store/runs.js';
import { RosterdError } from '../errors.js';
import type { DecideInput, DecideOutcome } from './decide-worker.js';
import { PACKAGE_ROOT, VERSION } from '../version.js';
import { ConfigHolder } from './config-holder.js';
import { LATEST } from './publish-exports.js';
import { countRosterObjects } from './roster-objects.js';
import { SyncRunner } from './runner.js';

const DAY_MS = 86_400_000;
/** After the grace period and an abort, how long a worker may take to roll back before it is terminated. */
const ABORT_WAIT_MS = 15_000;

export interface DaemonOptions {
  file: string;
  policy: SecretPolicy;
  logger?: Logger;
}

export type StartResult = { ok: true; daemon: Daemon } | { ok: false; exitCode: number; problems?: string[]; error?: string };

/** The worker is compiled code: from a test running the TypeScript sources, use the build in dist/. */
export function workerUrl(): URL {
  if (import.meta.url.endsWith('.ts')) return pathToFileURL(join(PACKAGE_ROOT, 'dist', 'daemon', 'worker.js'));
  return new URL('./worker.js', import.meta.url);
}

/** Runs an admin's decision on a held run in a worker thread with its own store connection. */
function decideInWorker(input: DecideInput): Promise<DecideOutcome> {
  const url = import.meta.url.endsWith('.ts') ? pathToFileURL(join(PACKAGE_ROOT, 'dist', 'daemon', 'decide-worker.js')) : new URL('./decide-worker.js', import.meta.url);
  return new Promise((resolve) => {
    const worker = new Worker(url, { workerData: input });
    let settled = false;
    worker.once('message', (outcome: DecideOutcome) => {
      settled = true;
      resolve(outcome);
    });
    worker.once('error', (err) => {
      settled = true;
      resolve({ ok: false, code: 'ROSTERD_INTERNAL', message: err.message });
    });
    worker.once('exit', () => {
      if (!settled) resolve({ ok: false, code: 'ROSTERD_INTERNAL', message: 'the decision worker ended without an answer' });
    });
  });
}

export class Daemon {
  readonly metrics = new DaemonMetrics();
  private holder!: ConfigHolder;
  private store!: Store;
  private server!: Server;
  private runner!: SyncRunner;
  private scheduler!: Scheduler;
  private watcher: ConfigWatch | null = null;
  private ready = false;
  private stopping: Promise<void> | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  address: { host: string; port: number } = { host: '', port: 0 };

  private constructor(readonly logger: Logger) {}

  get config(): Config {
    return this.holder.current.config;
  }

  static async start(options: DaemonOptions): Promise<StartResult> {
    const first = await loadConfig(options.file, { policy: options.policy, resolveSecrets: true });
    const logger = options.logger ?? createLogger(effectiveLevel(first.ok ? first.config.daemon?.logLevel : undefined));
    if (!first.ok) {
      const problems = first.problems.map(formatProblem);
      for (const problem of problems) logger.fatal({ file: options.file, problem }, 'config rejected');
      return { ok: false, exitCode: 78, problems };
    }
    if (parseStoreUrl(first.config.storage.url).memory) {
      // Each sync runs in a worker with its own connection: an in-memory database would be a new, empty one each time.
      const problem = `${options.file}: storage.url: the daemon needs a store on disk (sqlite:PATH), not ${first.config.storage.url}; in-memory stores suit only one-off CLI commands`;
      logger.fatal({ file: options.file, problem }, 'config rejected');
      return { ok: false, exitCode: 78, problems: [problem] };
    }
    const d = new Daemon(logger);
    try {
      await d.boot(options, { config: first.config, checksum: first.checksum, loadedAt: new Date() });
    } catch (err) {
      logger.fatal({ ...errorFields(err) }, 'rosterd could not start');
      await d.teardown().catch(() => undefined);
      return { ok: false, exitCode: 1, error: errorFields(err).err };
    }
    return { ok: true, daemon: d };
  }

  private async boot(options: DaemonOptions, first: { config: Config; checksum: string; loadedAt: Date }): Promise<void> {
    const { logger, metrics } = this;
    this.holder = new ConfigHolder(options.file, options.policy, first, {
      logger,
      metrics,
      apply: (next, previous) => this.apply(next, previous),
    });
    metrics.loaded(first.loadedAt);
    this.runner = new SyncRunner({
      workerUrl: workerUrl(),
      metrics,
      logger,
      current: () => ({ config: this.holder.current.config, policy: this.holder.policy }),
    });
    this.scheduler = new Scheduler({
      fire: (integration, job) => this.fire(integration, job),
      nextRunChanged: (integration, job, at) => metrics.setNextRun(integration, job, at),
    });

    // HTTP first: /livez answers and /readyz says 503 while the store migrates.
    this.server = createHttpServer({
      metrics,
      logger,
      isReady: () => this.ready,
      health: () => this.health(),
      reload: async (source) => {
        const r = await this.holder.reload(source);
        return r.ok ? { ok: true, checksum: r.checksum } : r;
      },
      admin: {
        adminToken: async () => {
          const ref = this.config.server.adminToken;
          return ref ? resolveSecret(ref, this.holder.policy) : null;
        },
        integrations: () => this.integrationsView(),
        hasIntegration: (name) => this.config.integrations.some((i) => i.name === name),
        trigger: (name, jobs) => this.runner.trigger(name, jobs, 'api'),
        listRuns: (filter) => this.store.runs.list(filter),
        getRun: (id) => this.store.runs.get(id),
        decideRun: async (id, decision, by) => {
          const outcome = await decideInWorker({ storeUrl: this.config.storage.url, runId: id, decision, by });
          if (!outcome.ok) throw new RosterdError(outcome.code, outcome.message);
          const run = await this.store.runs.get(id);
          if (run) this.metrics.setHeld(run.integration, run.job, false);
          this.logger.info({ runId: id, decision, by, appliedRunId: outcome.appliedRunId }, `held run ${decision === 'approve' ? 'approved' : 'discarded'}`);
          return outcome.appliedRunId === undefined ? {} : { appliedRunId: outcome.appliedRunId };
        },
        latestExportsDir: (name) => (this.config.integrations.some((i) => i.name === name) ? join(this.config.exports.dir, name, LATEST) : null),
      },
    });
    this.address = await listen(this.server, first.config.server.listen);
    logger.info({ version: VERSION, listen: `${this.address.host}:${this.address.port}`, file: options.file, checksum: first.checksum }, 'rosterd starting');

    this.store = await openStore(first.config.storage.url);
    metrics.beforeScrape = () => this.refreshHeld();
    await this.pruneDataLog();
    await this.restoreFromDataLog(first.config);
    this.ready = true;

    this.scheduler.apply(first.config);
    this.watcher = watchConfig(options.file, {
      checksum: first.checksum,
      intervalMs: (first.config.daemon?.configCheckSeconds ?? 30) * 1000,
      onChange: () => void this.holder.reload('file-change'),
      onError: (err) => logger.warn({ ...errorFields(err) }, 'config watch error; the timer keeps checking'),
    });
    this.retentionTimer = setInterval(() => void this.pruneDataLog(), DAY_MS);
    this.retentionTimer.unref();
    logger.info({ integrations: first.config.integrations.map((i) => ({ name: i.name, enabled: i.enabled, next: nextRuns(this.scheduler, i.name) })) }, 'rosterd ready');
    await this.catchUp(first.config);
  }

  /** SIGHUP, as Prometheus and nginx do. */
  async reload(source: string): Promise<boolean> {
    return (await this.holder.reload(source)).ok;
  }

  private apply(next: Config, previous: Config): void {
    this.logger.level = effectiveLevel(next.daemon?.logLevel);
    this.scheduler.apply(next);
    const names = new Set(next.integrations.map((i) => i.name));
    this.metrics.forgetIntegrationsExcept(names);
    this.watcher?.setInterval((next.daemon?.configCheckSeconds ?? 30) * 1000);
    const added = next.integrations.filter((i) => !previous.integrations.some((p) => p.name === i.name));
    const removed = previous.integrations.filter((p) => !names.has(p.name)).map((p) => p.name);
    if (added.length > 0 || removed.length > 0) this.logger.info({ added: added.map((i) => i.name), removed }, 'integrations changed');
    if (added.length > 0 && this.ready) void this.restoreFromDataLog({ ...next, integrations: added });
  }

  private fire(integration: string, job: Job): void {
    const outcome = this.runner.trigger(integration, [job], 'schedule');
    if (!outcome.ok) this.logger.info({ integration, job, reason: outcome.reason }, 'scheduled sync skipped: that job is still running or queued');
  }

  private async catchUp(config: Config): Promise<void> {
    const missed = await missedJobs(config, async (integration, job) => {
      const last = await this.store.runs.lastRun(integration, job);
      return last ? new Date(last.startedAt) : null;
    });
    for (const m of missed) {
      this.logger.info({ integration: m.integration, job: m.job, due: m.due.toISOString(), lastRun: m.last.toISOString() }, 'catching up a run missed while the daemon was down');
      this.runner.trigger(m.integration, [m.job], 'catch-up');
    }
  }

  /** Metrics that alerts depend on survive restarts: last success, held, roster size come from the data log. */
  private async restoreFromDataLog(config: Config): Promise<void> {
    for (const integration of config.integrations) {
      for (const job of JOBS) {
        this.metrics.declareJob(integration.name, job);
        const success = await this.store.runs.lastRun(integration.name, job, ['succeeded', 'succeeded_with_issues']);
        if (success?.endedAt) this.metrics.setLastSuccess(integration.name, job, new Date(success.endedAt));
        if (success?.counts) this.metrics.setKept(integration.name, job, success.counts);
      }
      this.metrics.setRosterObjects(integration.name, await countRosterObjects(this.store.knex, integration.name));
    }
    await this.refreshHeld(config);
  }

  /**
   * rosterd_sync_held from the data log: a held run can be approved or discarded by `rosterd approve|discard`
   * in another process, which this daemon only learns from the store. Read at every scrape, so the alert clears
   * on the next scrape after the decision. A run in progress does not clear it: the gauge follows the last
   * finished run, so an alert's `for:` clock is not reset by the next scheduled attempt.
   */
  private async refreshHeld(config: Config = this.config): Promise<void> {
    try {
      for (const integration of config.integrations) {
        for (const job of JOBS) this.metrics.setHeld(integration.name, job, awaitingDecision(await this.store.runs.lastRun(integration.name, job, FINISHED)));
      }
    } catch (err) {
      this.logger.warn({ ...errorFields(err) }, 'could not read held runs from the data log for /metrics; rosterd_sync_held keeps its last value');
    }
  }

  private async pruneDataLog(): Promise<void> {
    if (this.runner.activeCount > 0) return; // the workers prune after their runs; never write beside them from here
    try {
      const days = this.config.storage.retentionDays ?? 90;
      const deleted = await this.store.runs.prune(new Date(Date.now() - days * DAY_MS));
      if (deleted > 0) this.logger.info({ deleted, retentionDays: days }, 'old runs deleted from the data log (retention)');
    } catch (err) {
      this.logger.error({ ...errorFields(err) }, 'data log retention failed; will try again');
    }
  }

  private async integrationsView(): Promise<unknown[]> {
    const out = [];
    for (const i of this.config.integrations) {
      out.push({ name: i.name, enabled: i.enabled, orgId: i.sis.orgId, sisVersion: i.sis.version, schedule: i.schedule, ...(await this.integrationHealth(i.name, i.enabled)) });
    }
    return out;
  }

  private async integrationHealth(name: string, enabled: boolean): Promise<{ status: string; running: Job[]; queued: Job[]; jobs: Record<string, unknown> }> {
    const now = Date.now();
    const running = this.runner.runningJobs(name);
    const queued = this.runner.busyJobs(name).filter((j) => !running.includes(j));
    const jobs: Record<string, unknown> = {};
    let status = enabled ? 'ok' : 'disabled';
    let neverSynced = true;
    for (const job of JOBS) {
      const last = await this.store.runs.lastRun(name, job);
      const success = await this.store.runs.lastRun(name, job, ['succeeded', 'succeeded_with_issues']);
      const next = this.scheduler.nextRun(name, job);
      if (success) neverSynced = false;
      // A held run an admin has decided (discarded, superseded) is no longer waiting: not 'held', not failing.
      if (enabled && last && !['succeeded', 'succeeded_with_issues', 'running', 'held'].includes(last.status)) status = 'failing';
      if (enabled && awaitingDecision(last) && status !== 'failing') status = 'held';
      jobs[job] = {
        lastRun: last ? { id: last.id, status: last.status, trigger: last.trigger, startedAt: last.startedAt, endedAt: last.endedAt, errorCode: last.errorCode } : null,
        lastSuccess: success?.endedAt ? { runId: success.id, at: success.endedAt, ageSeconds: Math.round((now - Date.parse(success.endedAt)) / 1000) } : null,
        nextRun: next ? next.toISOString() : null,
        running: running.includes(job),
      };
    }
    if (enabled && status === 'ok' && neverSynced) status = 'never-synced';
    if (enabled && running.length > 0 && status === 'ok') status = 'syncing';
    return { status, running, queued, jobs };
  }

  private async health(): Promise<unknown> {
    const loaded = this.holder.current;
    const integrations = [];
    for (const i of loaded.config.integrations) integrations.push({ name: i.name, enabled: i.enabled, ...(await this.integrationHealth(i.name, i.enabled)) });
    const bad = integrations.some((i) => i.status === 'failing' || i.status === 'held');
    return {
      status: bad || !this.holder.lastReloadOk ? 'degraded' : 'ok',
      version: VERSION,
      config: { file: this.holder.file, checksum: loaded.checksum, loadedAt: loaded.loadedAt.toISOString(), lastReloadSuccessful: this.holder.lastReloadOk },
      integrations,
    };
  }

  /** Triggers a sync as the API would (used by `rosterd demo`). */
  trigger(integration: string, jobs: Job[]): ReturnType<SyncRunner['trigger']> {
    return this.runner.trigger(integration, jobs, 'manual');
  }

  /** Resolves true once no sync runs (false after `ms`). */
  waitIdle(ms: number): Promise<boolean> {
    return this.runner.waitIdle(ms);
  }

  /** During a graceful stop: skip the rest of the grace period and abort the running syncs now. */
  abortNow(): void {
    this.runner?.abortAll();
  }

  /**
   * Graceful stop: no more schedules or triggers, running syncs get `graceSeconds` to finish, then they are
   * aborted (rolled back, recorded as interrupted). Resolves when everything is closed.
   */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    const grace = (this.holder?.current.config.daemon?.shutdownGraceSeconds ?? 25) * 1000;
    this.ready = false;
    this.logger.info({ reason, graceSeconds: grace / 1000, running: this.runner?.activeCount ?? 0 }, 'rosterd stopping');
    this.scheduler?.stop();
    await this.watcher?.close().catch(() => undefined);
    this.watcher = null;
    if (this.runner) {
      this.runner.stopAccepting();
      if (!(await this.runner.waitIdle(grace))) {
        this.logger.warn({ graceSeconds: grace / 1000 }, 'grace period over: stopping the running syncs (rolled back, recorded as interrupted)');
        this.runner.abortAll();
        if (!(await this.runner.waitIdle(ABORT_WAIT_MS))) {
          this.logger.error({}, 'a sync did not stop after the abort; terminating it (its run is marked abandoned at the next start)');
          await this.runner.terminateAll();
        }
      }
    }
    await this.teardown();
    this.logger.info({ reason }, 'rosterd stopped');
  }

  private async teardown(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.scheduler?.stop();
    await this.watcher?.close().catch(() => undefined);
    if (this.server?.listening) {
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
    }
    await this.store?.close().catch(() => undefined);
  }
}

function nextRuns(scheduler: Scheduler, name: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const job of JOBS) out[job] = scheduler.nextRun(name, job)?.toISOString() ?? null;
  return out;
}
