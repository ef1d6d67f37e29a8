/**
 * One sync in a worker thread, so the main thread's event loop (health, metrics, the API) never waits for a
 * large district's read, build or apply. It has its own store connection (SQLite WAL: the main thread's reads
 * never block its writes). Metrics events go back by postMessage; `abort` from the main thread aborts the
 * sync, which then rolls back and records the run as interrupted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { resolveSecret } from '../config/secrets.js';
import { Notifier } from '../notify/index.js';
import { isRosterdError } from '../errors.js';
import { openStore, type Store } from '../store/db.js';
import { syncIntegration } from '../sync/run.js';
import type { MainMessage, WorkerInput, WorkerMessage } from './messages.js';
import { publishRunExports } from './publish-exports.js';
import { countRosterObjects } from './roster-objects.js';

const DAY_MS = 86_400_000;
/** How long a finished sync waits for its notifications before the worker ends (they retry with backoff). */
const NOTIFY_DRAIN_MS = 30_000;

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

function failure(err: unknown): { code: string; message: string } {
  if (isRosterdError(err)) return { code: err.code, message: err.describe() };
  return { code: 'ROSTERD_INTERNAL', message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

async function main(input: WorkerInput): Promise<void> {
  const controller = new AbortController();
  parentPort?.on('message', (m: MainMessage) => {
    if (m.type === 'abort') controller.abort();
  });
  let store: Store | null = null;
  try {
    store = await openStore(input.storeUrl);
    const { integration } = input;
    const startedAt = new Map<string, number>();
    // Notifications go out from here and are drained before the worker ends; a slow target never holds a run.
    const notifier = new Notifier({
      targets: integration.notifications,
      resolveSecret: (ref) => resolveSecret(ref, input.policy),
      onDelivery: (d) => post({ type: 'notification', target: d.target, targetType: d.type, ok: d.ok, attempts: d.attempts }),
    });
    const results = await syncIntegration({
      store,
      integration,
      jobs: input.jobs,
      trigger: input.trigger,
      // Read on every token request: a rotated Kubernetes Secret file is used without any reload.
      getSecret: () => resolveSecret(integration.sis.clientSecret, input.policy),
      signal: controller.signal,
      notify: (event) => notifier.notify(event),
      publicUrl: input.publicUrl,
      observer: { request: (e) => post({ type: 'request', integration: e.integration, code: String(e.code), seconds: e.seconds, kind: e.kind }) },
      progress: (event) => {
        if (event.phase === 'job' && event.step === 'started') {
          startedAt.set(event.job, Date.now());
          post({ type: 'started', job: event.job, runId: event.runId });
        } else if (event.phase === 'done') {
          const began = startedAt.get(event.result.job) ?? Date.now();
          post({ type: 'result', result: event.result, durationSeconds: (Date.now() - began) / 1000, endedAt: new Date().toISOString() });
        }
      },
    });
    post({ type: 'objects', counts: await countRosterObjects(store.knex, integration.name) });

    const applied = results.filter((r) => (r.status === 'succeeded' || r.status === 'succeeded_with_issues') && r.runId !== null);
    const last = applied[applied.length - 1];
    if (last && last.runId !== null && !controller.signal.aborted) {
      try {
        const dir = await publishRunExports(store, integration, input.exports, last.runId);
        post({ type: 'exports', runId: last.runId, dir });
      } catch (err) {
        const error = failure(err);
        // The data log records it with the run, so `rosterd logs` and the API show why no files appeared.
        await store.runs
          .addIssues(last.runId, [{ rule: 'exports-write-failed', severity: 'warn', recordKind: null, recordId: null, message: error.message }])
          .catch(() => undefined);
        post({ type: 'exports', runId: last.runId, error });
      }
    }
    await notifier.drain(NOTIFY_DRAIN_MS);
    // Retention runs here, off the main thread: deleting many old runs must not stall health checks.
    const deleted = await store.runs.prune(new Date(Date.now() - input.retentionDays * DAY_MS));
    if (deleted > 0) post({ type: 'retention', deleted });
  } catch (err) {
    post({ type: 'crashed', error: failure(err) });
  } finally {
    await store?.close().catch(() => undefined);
    post({ type: 'done' });
    parentPort?.close();
  }
}

void main(workerData as WorkerInput);
