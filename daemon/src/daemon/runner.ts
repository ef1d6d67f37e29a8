/**
 * Runs syncs in worker threads, with the daemon's rules:
 * - a job never overlaps itself (a trigger for a job already running or queued is refused);
 * - one request at a time per integration, in order, so a students run waits for a running classes run;
 * - at most `maxConcurrent` integrations sync at once, the rest queue;
 * - a queued request takes the integration's config when it starts; a running one keeps the config it started with.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config, IntegrationConfig, SecretPolicy } from '../config/types.js';
import type { DaemonMetrics } from '../http/metrics.js';
import { errorFields } from '../logging/logger.js';
import type { Job, Trigger } from '../store/runs.js';
import type { JobResult } from '../sync/run.js';
import type { MainMessage, WorkerInput, WorkerMessage } from './messages.js';

export interface RunnerConfig {
  config: Config;
  policy: SecretPolicy;
}

export interface SyncTicket {
  id: number;
  integration: string;
  jobs: Job[];
  trigger: Trigger;
  state: 'queued' | 'running' | 'done';
  runs: { job: Job; runId: number }[];
  results: JobResult[];
  /** Settles when the first job has its run id (later jobs get theirs when they start), or the request ended. */
  started: Promise<void>;
  done: Promise<JobResult[]>;
}

export type TriggerOutcome =
  | { ok: true; ticket: SyncTicket }
  | { ok: false; reason: 'unknown' | 'disabled' | 'busy' | 'stopping'; busy?: Job[] };

interface Entry {
  ticket: SyncTicket;
  resolveStarted: () => void;
  resolveDone: (r: JobResult[]) => void;
}

interface Active {
  entry: Entry;
  worker: Worker;
  aborted: boolean;
}

export interface RunnerOptions {
  workerUrl: URL;
  metrics: DaemonMetrics;
  logger: Logger;
  current: () => RunnerConfig;
  /** Called after every request ends (the daemon refreshes next-run times and health). */
  onSettled?: (ticket: SyncTicket) => void;
}

type MetricsSink = Pick<DaemonMetrics, 'request' | 'setRunning' | 'runFinished' | 'setRosterObjects' | 'notification'>;
const NO_METRICS: MetricsSink = { request() {}, setRunning() {}, runFinished() {}, setRosterObjects() {}, notification() {} };

export class SyncRunner {
  private readonly active = new Map<string, Active>();
  private readonly queues = new Map<string, Entry[]>();
  private accepting = true;
  private nextId = 1;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: RunnerOptions) {}

  /** The jobs of an integration running or queued now. */
  busyJobs(integration: string): Job[] {
    const jobs = new Set<Job>();
    const a = this.active.get(integration);
    if (a) for (const j of a.entry.ticket.jobs) if (!a.entry.ticket.results.some((r) => r.job === j)) jobs.add(j);
    for (const e of this.queues.get(integration) ?? []) for (const j of e.ticket.jobs) jobs.add(j);
    return [...jobs];
  }

  runningJobs(integration: string): Job[] {
    const a = this.active.get(integration);
    if (!a) return [];
    return a.entry.ticket.runs.filter((r) => !a.entry.ticket.results.some((x) => x.job === r.job)).map((r) => r.job);
  }

  get activeCount(): number {
    return this.active.size;
  }

  trigger(integration: string, jobs: Job[], trigger: Trigger): TriggerOutcome {
    if (!this.accepting) return { ok: false, reason: 'stopping' };
    const config = this.options.current().config.integrations.find((i) => i.name === integration);
    if (!config) return { ok: false, reason: 'unknown' };
    if (!config.enabled) return { ok: false, reason: 'disabled' };
    const busy = this.busyJobs(integration).filter((j) => jobs.includes(j));
    if (busy.length > 0) return { ok: false, reason: 'busy', busy };

    let resolveStarted!: () => void;
    let resolveDone!: (r: JobResult[]) => void;
    const ticket: SyncTicket = {
      id: this.nextId++,
      integration,
      jobs: (['classes', 'students'] as const).filter((j) => jobs.includes(j)),
      trigger,
      state: 'queued',
      runs: [],
      results: [],
      started: new Promise<void>((r) => (resolveStarted = r)),
      done: new Promise<JobResult[]>((r) => (resolveDone = r)),
    };
    const queue = this.queues.get(integration) ?? [];
    queue.push({ ticket, resolveStarted, resolveDone });
    this.queues.set(integration, queue);
    this.options.logger.info({ integration, jobs: ticket.jobs, trigger, request: ticket.id }, 'sync requested');
    this.dispatch();
    return { ok: true, ticket };
  }

  private dispatch(): void {
    const { config, policy } = this.options.current();
    const limit = Math.max(1, config.daemon?.maxConcurrentSyncs ?? 2);
    for (const [integration, queue] of this.queues) {
      if (this.active.size >= limit) return;
      if (this.active.has(integration) || queue.length === 0) continue;
      const entry = queue.shift()!;
      if (queue.length === 0) this.queues.delete(integration);
      const current = config.integrations.find((i) => i.name === integration);
      if (!current || !current.enabled) {
        this.options.logger.warn({ integration, request: entry.ticket.id }, 'queued sync dropped: the integration is no longer in the config or is disabled');
        this.settle(entry, []);
        continue;
      }
      this.start(entry, current, config, policy);
    }
  }

  private start(entry: Entry, integration: IntegrationConfig, config: Config, policy: SecretPolicy): void {
    const { ticket } = entry;
    const input: WorkerInput = {
      storeUrl: config.storage.url,
      integration,
      jobs: ticket.jobs,
      trigger: ticket.trigger,
      policy,
      exports: { dir: config.exports.dir, keep: config.exports.keep ?? 5 },
      retentionDays: config.storage.retentionDays ?? 90,
      publicUrl: config.server.publicUrl,
    };
    ticket.state = 'running';
    const worker = new Worker(this.options.workerUrl, { workerData: input });
    const active: Active = { entry, worker, aborted: false };
    this.active.set(ticket.integration, active);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      this.active.delete(ticket.integration);
      if (this.options.current().config.integrations.some((i) => i.name === ticket.integration)) {
        for (const job of ticket.jobs) this.options.metrics.setRunning(ticket.integration, job, false);
      }
      this.settle(entry, ticket.results);
      this.options.logger.debug({ integration: ticket.integration, request: ticket.id, runs: ticket.runs.map((r) => r.runId) }, 'sync request done');
      this.dispatch();
      if (this.active.size === 0) for (const f of [...this.idle]) f();
    };
    worker.on('message', (m: WorkerMessage) => this.onMessage(active, m));
    worker.on('error', (err) => this.options.logger.error({ integration: ticket.integration, ...errorFields(err) }, 'sync worker failed'));
    worker.on('exit', finish);
  }

  private onMessage(active: Active, m: WorkerMessage): void {
    const { ticket } = active.entry;
    const { logger } = this.options;
    const integration = ticket.integration;
    // A run that outlives its integration (removed by a reload) still logs, but adds no series: metric labels
    // stay bounded by the config in force.
    const inConfig = this.options.current().config.integrations.some((i) => i.name === integration);
    const metrics = inConfig ? this.options.metrics : NO_METRICS;
    switch (m.type) {
      case 'request': {
        metrics.request(m.integration, m.code, m.seconds);
        if (!/^2\d\d$/.test(m.code)) logger.warn({ integration, code: m.code, kind: m.kind, seconds: m.seconds }, 'SIS request failed');
        break;
      }
      case 'started': {
        ticket.runs.push({ job: m.job, runId: m.runId });
        metrics.setRunning(integration, m.job, true);
        logger.info({ integration, job: m.job, runId: m.runId, trigger: ticket.trigger }, 'run started');
        active.entry.resolveStarted();
        break;
      }
      case 'result': {
        const r = m.result;
        ticket.results.push(r);
        metrics.runFinished({ integration, job: r.job, status: r.status, durationSeconds: m.durationSeconds, endedAt: new Date(m.endedAt), counts: r.counts, quality: r.quality });
        const fields = { integration, job: r.job, runId: r.runId, trigger: ticket.trigger, status: r.status, counts: r.counts, quality: r.quality, durationSeconds: m.durationSeconds, ...(r.error ? { code: r.error.code, err: r.error.message } : {}) };
        if (r.status === 'failed') logger.error(fields, 'run finished');
        else if (r.status === 'interrupted' || r.status === 'held') logger.warn(fields, 'run finished');
        else logger.info(fields, 'run finished');
        break;
      }
      case 'objects':
        metrics.setRosterObjects(integration, m.counts);
        break;
      case 'exports':
        if (m.error) logger.error({ integration, runId: m.runId, code: m.error.code, err: m.error.message }, 'export files not written');
        else logger.info({ integration, runId: m.runId, dir: m.dir }, 'export files written');
        break;
      case 'retention':
        logger.info({ deleted: m.deleted }, 'old runs deleted from the data log (retention)');
        break;
      case 'notification':
        metrics.notification(integration, m.target, m.ok);
        if (m.ok) logger.info({ integration, target: m.target, type: m.targetType, attempts: m.attempts }, 'notification sent');
        else logger.warn({ integration, target: m.target, type: m.targetType, attempts: m.attempts }, 'notification not delivered');
        break;
      case 'crashed':
        logger.error({ integration, jobs: ticket.jobs, code: m.error.code, err: m.error.message }, 'sync could not run');
        break;
      case 'done':
        break;
    }
  }

  private settle(entry: Entry, results: JobResult[]): void {
    entry.ticket.state = 'done';
    entry.resolveStarted();
    entry.resolveDone(results);
    this.options.onSettled?.(entry.ticket);
  }

  /** Shutdown, step 1: no new triggers; queued requests are dropped (they never started, so nothing to undo). */
  stopAccepting(): void {
    this.accepting = false;
    for (const [integration, queue] of this.queues) {
      for (const e of queue) {
        this.options.logger.info({ integration, request: e.ticket.id }, 'queued sync dropped: shutting down');
        this.settle(e, []);
      }
    }
    this.queues.clear();
  }

  /** Resolves true when no sync runs any more, false when `ms` passed first. */
  waitIdle(ms: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.idle.delete(onIdle);
        resolve(idle);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.idle.add(onIdle);
    });
  }

  /** Asks every running sync to stop: each rolls back and records its run as interrupted. */
  abortAll(): void {
    for (const a of this.active.values()) {
      if (a.aborted) continue;
      a.aborted = true;
      a.worker.postMessage({ type: 'abort' } satisfies MainMessage);
    }
  }

  /** Last resort after an abort that did not end a worker: the run stays `running` until the next start marks it abandoned. */
  async terminateAll(): Promise<void> {
    await Promise.all([...this.active.values()].map((a) => a.worker.terminate().catch(() => 0)));
  }
}
