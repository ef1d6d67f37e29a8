/**
 * An admin's decision on a held run, off the main thread: approving applies a whole plan (for an emptied
 * school, every membership it had) in one transaction, which must not stall health checks and scrapes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isRosterdError } from '../errors.js';
import { openStore, type Store } from '../store/db.js';
import { approveHeldRun, discardHeldRun } from '../sync/held.js';

export interface DecideInput {
  storeUrl: string;
  runId: number;
  decision: 'approve' | 'discard';
  by: string;
}

export type DecideOutcome = { ok: true; appliedRunId?: number } | { ok: false; code: string; message: string };

async function main(input: DecideInput): Promise<DecideOutcome> {
  let store: Store | null = null;
  try {
    store = await openStore(input.storeUrl);
    if (input.decision === 'discard') {
      await discardHeldRun(store, input.runId, { by: input.by });
      return { ok: true };
    }
    const applied = await approveHeldRun(store, input.runId, { by: input.by, trigger: 'api' });
    return { ok: true, appliedRunId: applied.runId };
  } catch (err) {
    if (isRosterdError(err)) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'ROSTERD_INTERNAL', message: err instanceof Error ? err.message : String(err) };
  } finally {
    await store?.close().catch(() => undefined);
  }
}

void main(workerData as DecideInput).then((outcome) => parentPort?.postMessage(outcome));
