/** What the main thread and a sync worker say to each other (structured-clone safe, no secrets). */
import type { IntegrationConfig, SecretPolicy } from '../config/types.js';
import type { Job, Trigger } from '../store/runs.js';
import type { JobResult } from '../sync/run.js';

export interface WorkerInput {
  storeUrl: string;
  integration: IntegrationConfig;
  jobs: Job[];
  trigger: Trigger;
  policy: SecretPolicy;
  exports: { dir: string; keep: number };
  retentionDays: number;
  /** server.publicUrl: the link to a run in notifications. */
  publicUrl?: string;
}

export type WorkerMessage =
  | { type: 'request'; integration: string; code: string; seconds: number; kind: 'token' | 'data' }
  | { type: 'started'; job: Job; runId: number }
  | { type: 'result'; result: JobResult; durationSeconds: number; endedAt: string }
  | { type: 'objects'; counts: Record<string, number> }
  | { type: 'exports'; runId: number; dir?: string; error?: { code: string; message: string } }
  | { type: 'retention'; deleted: number }
  | { type: 'notification'; target: string; targetType: string; ok: boolean; attempts: number }
  | { type: 'crashed'; error: { code: string; message: string } }
  | { type: 'done' };

export type MainMessage = { type: 'abort' };
