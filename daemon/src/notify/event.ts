/**
 * What a notification is about (a finished or held sync run), and the readable summary every human-facing
 * target (Slack, email) shows. Machine-facing targets (webhook) get the event itself.
 */
import type { NotifyEvent } from '../config/types.js';

export type NotifyEventKind = NotifyEvent;

export const NOTIFY_EVENT_KINDS: readonly NotifyEventKind[] = ['failed', 'held', 'succeeded_with_issues', 'succeeded', 'recovered'];

export interface ChangeCounts {
  created: number;
  updated: number;
  deleted: number;
  /** safety.additionsOnly: records the SIS dropped, kept instead of removed. */
  kept?: number;
}

export interface SyncEvent {
  kind: NotifyEventKind;
  integration: string;
  job: 'classes' | 'students';
  runId: number | null;
  /** The run's status as the data log records it (e.g. held, failed, succeeded). */
  status: string;
  /** Changes per record kind (classes, teachers, students, enrollments): applied, or for `held` what would be applied. */
  counts: Record<string, ChangeCounts>;
  /** The most frequent data-quality findings, most frequent first. */
  topIssues: { rule: string; count: number }[];
  error?: { code: string; message: string };
  /** Link to the run (admin API) when the daemon knows its public URL. */
  runUrl?: string;
  /** ISO time the run ended (or was held). */
  at: string;
}

/** The JSON a webhook receives: the event with a stable shape (absent parts are null, never missing). */
export function webhookPayload(e: SyncEvent): object {
  return {
    integration: e.integration,
    job: e.job,
    runId: e.runId,
    status: e.status,
    kind: e.kind,
    counts: e.counts,
    topIssues: e.topIssues,
    error: e.error ?? null,
    runUrl: e.runUrl ?? null,
    at: e.at,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** counts keys are plural kinds (students); singular for 1. */
const kindWord = (kind: string, n: number) => (n !== 1 ? kind : kind.endsWith('sses') ? kind.slice(0, -2) : kind.endsWith('s') ? kind.slice(0, -1) : kind);

function listChanges(counts: Record<string, ChangeCounts>, field: 'created' | 'updated' | 'deleted'): string {
  return Object.entries(counts)
    .filter(([, c]) => c[field] > 0)
    .sort(([, a], [, b]) => b[field] - a[field])
    .map(([kind, c]) => `${c[field]} ${kindWord(kind, c[field])}`)
    .join(', ');
}

function totals(counts: Record<string, ChangeCounts>): ChangeCounts {
  const t = { created: 0, updated: 0, deleted: 0 };
  for (const c of Object.values(counts)) {
    t.created += c.created;
    t.updated += c.updated;
    t.deleted += c.deleted;
  }
  return t;
}

function issueTotal(e: SyncEvent): number {
  return e.topIssues.reduce((n, i) => n + i.count, 0);
}

/** One line, e.g. "springfield classes held: 812 students would be removed". Used as the email subject and Slack text. */
export function headline(e: SyncEvent): string {
  const who = `${e.integration} ${e.job}`;
  switch (e.kind) {
    case 'held': {
      const removed = listChanges(e.counts, 'deleted');
      return `${who} held: ${removed ? `${removed} would be removed` : 'waiting for an admin to approve'}`;
    }
    case 'failed':
      return `${who} failed${e.error ? `: ${e.error.code}` : ''}; nothing was changed`;
    case 'recovered':
      return `${who} recovered: synced again after ${e.status === 'succeeded_with_issues' ? 'a failed or held run, with issues' : 'a failed or held run'}`;
    case 'succeeded_with_issues':
      return `${who} synced with ${plural(issueTotal(e), 'data-quality issue')}`;
    case 'succeeded': {
      const t = totals(e.counts);
      return `${who} synced: ${t.created} created, ${t.updated} updated, ${t.deleted} removed`;
    }
  }
}

/** A plain-text summary: what happened, what changed, the top issues, the error, and what to do. */
export function summaryText(e: SyncEvent): string {
  const lines: string[] = [headline(e), ''];
  lines.push(`Integration: ${e.integration}`, `Job:         ${e.job}`, `Run:         ${e.runId ?? '(none)'}`, `Status:      ${e.status}`, `At:          ${e.at}`);
  const kinds = Object.entries(e.counts);
  if (kinds.length > 0) {
    lines.push('', e.kind === 'held' ? 'Changes waiting for approval (nothing applied):' : e.kind === 'failed' ? 'Changes (nothing applied):' : 'Changes:');
    for (const [kind, c] of kinds) lines.push(`  ${kind.padEnd(12)} ${c.created} created, ${c.updated} updated, ${c.deleted} removed${c.kept ? `, ${c.kept} kept (additions only)` : ''}`);
  }
  if (e.topIssues.length > 0) {
    lines.push('', 'Top data-quality issues:');
    for (const i of e.topIssues) lines.push(`  ${i.rule}: ${i.count}`);
  }
  if (e.error) lines.push('', `Error: ${e.error.message} [${e.error.code}]`);
  const todo = whatToDo(e);
  if (todo) lines.push('', todo);
  if (e.runUrl) lines.push('', `Run details: ${e.runUrl}`);
  return `${lines.join('\n')}\n`;
}

function whatToDo(e: SyncEvent): string | undefined {
  if (e.kind === 'held') {
    const id = e.runId ?? 'RUN_ID';
    return `Nothing was applied. If the removals are expected, approve this run with \`rosterd approve ${id}\`; otherwise discard it with \`rosterd discard ${id}\` and check the SIS feed.`;
  }
  if (e.kind === 'failed') return 'The roster was left as it was. The next scheduled run will try again; the error above says what to fix.';
  return undefined;
}
