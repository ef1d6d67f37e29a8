/**
 * The daemon's Prometheus metrics. Names are fixed by the issue (dashboards and alerts depend on them);
 * every label value comes from the config (integration names, the two jobs, the roster kinds, run
 * statuses, quality rules, HTTP codes), and `forgetIntegrationsExcept` drops series of removed
 * integrations on reload, so cardinality stays bounded by the config.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FINISHED } from '../store/runs.js';
import { VERSION } from '../version.js';

type Labels = Record<string, string>;

/** Remembers every label set a metric was given, so series of a removed integration can be deleted. */
class Tracked {
  private readonly seen = new Map<string, Labels>();
  constructor(readonly metric: Counter<string> | Gauge<string> | Histogram<string>) {}
  note(labels: Labels): Labels {
    this.seen.set(JSON.stringify(labels), labels);
    return labels;
  }
  forget(keep: (labels: Labels) => boolean): void {
    for (const [key, labels] of this.seen) {
      if (keep(labels)) continue;
      this.metric.remove(labels);
      this.seen.delete(key);
    }
  }
}

export interface JobOutcome {
  integration: string;
  job: string;
  status: string;
  durationSeconds: number;
  endedAt: Date;
  counts: Record<string, { created: number; updated: number; deleted: number; kept?: number } | undefined>;
  quality: Record<string, number>;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly tracked: Tracked[] = [];

  readonly buildInfo = new Gauge({ name: 'rosterd_build_info', help: 'Always 1; the version label says which rosterd runs.', labelNames: ['version'], registers: [this.registry] });
  readonly reloadSuccessful = new Gauge({ name: 'rosterd_config_last_reload_successful', help: 'Whether the last config (re)load attempt succeeded (1) or was kept out (0).', registers: [this.registry] });
  readonly reloadSuccessTime = new Gauge({ name: 'rosterd_config_last_reload_success_timestamp_seconds', help: 'When the config in use was loaded.', registers: [this.registry] });
  readonly reloads = new Counter({ name: 'rosterd_config_reloads_total', help: 'Config reload attempts by result.', labelNames: ['result'], registers: [this.registry] });

  private readonly runs = this.track(new Counter({ name: 'rosterd_sync_runs_total', help: 'Finished sync runs by final status.', labelNames: ['integration', 'job', 'result'], registers: [this.registry] }));
  private readonly duration = this.track(
    new Histogram({
      name: 'rosterd_sync_duration_seconds',
      help: 'How long sync runs took, start to recorded end.',
      labelNames: ['integration', 'job'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers: [this.registry],
    }),
  );
  private readonly lastSuccess = this.track(new Gauge({ name: 'rosterd_sync_last_success_timestamp_seconds', help: 'When the last successful run of the job ended (restored from the data log at start).', labelNames: ['integration', 'job'], registers: [this.registry] }));
  private readonly running = this.track(new Gauge({ name: 'rosterd_sync_running', help: 'Whether a run of the job is in progress.', labelNames: ['integration', 'job'], registers: [this.registry] }));
  private readonly held = this.track(new Gauge({ name: 'rosterd_sync_held', help: 'Whether the last finished run of the job is held, waiting for an admin to approve or discard it.', labelNames: ['integration', 'job'], registers: [this.registry] }));
  private readonly nextRun = this.track(new Gauge({ name: 'rosterd_sync_next_run_timestamp_seconds', help: 'When the job is next scheduled (absent when it is not scheduled).', labelNames: ['integration', 'job'], registers: [this.registry] }));
  private readonly objects = this.track(new Gauge({ name: 'rosterd_roster_objects', help: 'Objects in the stored roster by kind.', labelNames: ['integration', 'kind'], registers: [this.registry] }));
  private readonly kept = this.track(
    new Gauge({
      name: 'rosterd_sync_kept',
      help: 'Records the SIS no longer returns that the last applied run of the job kept, by kind, because safety.additionsOnly is on (0 once it deletes again).',
      labelNames: ['integration', 'job', 'kind'],
      registers: [this.registry],
    }),
  );
  private readonly changes = this.track(new Counter({ name: 'rosterd_sync_changes_total', help: 'Roster changes applied by sync runs.', labelNames: ['integration', 'kind', 'change'], registers: [this.registry] }));
  private readonly issues = this.track(new Gauge({ name: 'rosterd_sync_issues', help: 'Data quality findings of the last run of the job, by rule.', labelNames: ['integration', 'job', 'rule'], registers: [this.registry] }));
  private readonly requests = this.track(new Counter({ name: 'rosterd_oneroster_requests_total', help: 'HTTP requests to the SIS (token requests included) by HTTP status, or timeout, reset, tls, dns.', labelNames: ['integration', 'code'], registers: [this.registry] }));
  private readonly notifications = this.track(
    new Counter({ name: 'rosterd_notifications_total', help: 'Sync notification deliveries by integration, target and result (sent or failed, after retries).', labelNames: ['integration', 'target', 'result'], registers: [this.registry] }),
  );
  private readonly requestDuration = this.track(
    new Histogram({
      name: 'rosterd_oneroster_request_duration_seconds',
      help: 'How long HTTP requests to the SIS took.',
      labelNames: ['integration'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    }),
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.buildInfo.set({ version: VERSION }, 1);
    this.reloadSuccessful.set(0);
    // Both results exist from the start, so rate() and increase() see the first failure.
    this.reloads.inc({ result: 'success' }, 0);
    this.reloads.inc({ result: 'failure' }, 0);
  }

  private track<M extends Counter<string> | Gauge<string> | Histogram<string>>(metric: M): M {
    this.tracked.push(new Tracked(metric));
    return metric;
  }

  private labels(metric: Counter<string> | Gauge<string> | Histogram<string>, labels: Labels): Labels {
    return this.tracked.find((t) => t.metric === metric)?.note(labels) ?? labels;
  }

  /** The first load at start: the gauges say it is good; it is not a reload, so the counter stays. */
  loaded(at: Date): void {
    this.reloadSuccessful.set(1);
    this.reloadSuccessTime.set(at.getTime() / 1000);
  }

  reloaded(ok: boolean, at = new Date()): void {
    this.reloads.inc({ result: ok ? 'success' : 'failure' });
    this.reloadSuccessful.set(ok ? 1 : 0);
    if (ok) this.reloadSuccessTime.set(at.getTime() / 1000);
  }

  /** Zero series for a configured job, so a never-run job shows up (and alerts on absence work). */
  declareJob(integration: string, job: string): void {
    this.running.set(this.labels(this.running, { integration, job }), 0);
    this.held.set(this.labels(this.held, { integration, job }), 0);
    // Every final status from zero: Prometheus cannot see a counter's first increment without a prior sample,
    // so increase(rosterd_sync_runs_total{result="failed"}[...]) would miss the first failure.
    for (const result of FINISHED) this.runs.inc(this.labels(this.runs, { integration, job, result }), 0);
  }

  setRunning(integration: string, job: string, running: boolean): void {
    this.running.set(this.labels(this.running, { integration, job }), running ? 1 : 0);
  }

  setLastSuccess(integration: string, job: string, at: Date): void {
    this.lastSuccess.set(this.labels(this.lastSuccess, { integration, job }), at.getTime() / 1000);
  }

  setNextRun(integration: string, job: string, at: Date | null): void {
    const labels = this.labels(this.nextRun, { integration, job });
    if (at) this.nextRun.set(labels, at.getTime() / 1000);
    else this.nextRun.remove(labels);
  }

  setHeld(integration: string, job: string, held: boolean): void {
    this.held.set(this.labels(this.held, { integration, job }), held ? 1 : 0);
  }

  /** From an applied run's counts: what additions-only mode kept per kind (0 for a kind it did not). */
  setKept(integration: string, job: string, counts: JobOutcome['counts']): void {
    for (const [kind, c] of Object.entries(counts)) if (c) this.kept.set(this.labels(this.kept, { integration, job, kind }), c.kept ?? 0);
  }

  notification(integration: string, target: string, ok: boolean): void {
    this.notifications.inc(this.labels(this.notifications, { integration, target, result: ok ? 'sent' : 'failed' }));
  }

  setRosterObjects(integration: string, counts: Record<string, number>): void {
    for (const [kind, n] of Object.entries(counts)) this.objects.set(this.labels(this.objects, { integration, kind }), n);
  }

  request(integration: string, code: string, seconds: number): void {
    this.requests.inc(this.labels(this.requests, { integration, code }));
    this.requestDuration.observe(this.labels(this.requestDuration, { integration }), seconds);
  }

  runFinished(o: JobOutcome): void {
    const { integration, job } = o;
    this.runs.inc(this.labels(this.runs, { integration, job, result: o.status }));
    this.duration.observe(this.labels(this.duration, { integration, job }), o.durationSeconds);
    this.setRunning(integration, job, false);
    this.setHeld(integration, job, o.status === 'held');
    if (o.status === 'succeeded' || o.status === 'succeeded_with_issues') {
      this.setLastSuccess(integration, job, o.endedAt);
      this.setKept(integration, job, o.counts);
    }
    for (const [kind, c] of Object.entries(o.counts)) {
      if (!c) continue;
      for (const change of ['created', 'updated', 'deleted'] as const) {
        this.changes.inc(this.labels(this.changes, { integration, kind, change }), c[change]);
      }
    }
    // The gauge describes the last run: rules that no longer fire go back to absent.
    if (o.status !== 'interrupted' && o.status !== 'failed') {
      this.tracked.find((t) => t.metric === this.issues)?.forget((l) => l.integration !== integration || l.job !== job);
      for (const [rule, n] of Object.entries(o.quality)) this.issues.set(this.labels(this.issues, { integration, job, rule }), n);
    }
  }

  /** After a reload: series of integrations no longer in the config disappear. */
  forgetIntegrationsExcept(names: Set<string>): void {
    for (const t of this.tracked) t.forget((l) => l.integration === undefined || names.has(l.integration));
  }

  /**
   * Called before every scrape, for gauges whose truth lives in the store and can change outside this process
   * (an admin deciding a held run with the CLI while the daemon runs).
   */
  beforeScrape: (() => Promise<void>) | null = null;

  async text(): Promise<string> {
    await this.beforeScrape?.();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
