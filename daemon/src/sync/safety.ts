import type { DeletionLimit, SafetyConfig } from '../config/types.js';
import type { Finding, RuleName } from '../roster/quality.js';
import type { Counts } from './diff.js';

/**
 * Why a run must not apply on its own. The most feared failure in rostering is a short SIS feed that
 * removes hundreds of students overnight: a run over a deletion limit, a kind that came back empty, or a
 * blocking data-quality finding is held until an admin approves (or discards) exactly this plan.
 */
export type HoldReason =
  | { type: 'deletion_limit'; kind: string; deleted: number; before: number; limit: DeletionLimit; message: string }
  | { type: 'empty_feed'; kind: string; before: number; message: string }
  | { type: 'quality_block'; rule: RuleName; count: number; message: string };

const LIMITED_KINDS = ['classes', 'teachers', 'students', 'enrollments'] as const;

export function deletionLimitReasons(counts: Counts, safety: SafetyConfig): HoldReason[] {
  const reasons: HoldReason[] = [];
  for (const kind of LIMITED_KINDS) {
    const c = counts[kind];
    const limit = safety.deletions[kind];
    if (!c || !limit || c.deleted === 0) continue;
    const share = c.before > 0 ? c.deleted / c.before : 1;
    const overCount = limit.maxCount !== undefined && limit.maxCount !== null && c.deleted > limit.maxCount;
    const overShare = limit.maxShare !== undefined && limit.maxShare !== null && share > limit.maxShare;
    if (!overCount && !overShare) continue;
    const bounds = [
      limit.maxCount !== undefined && limit.maxCount !== null ? `${limit.maxCount}` : null,
      limit.maxShare !== undefined && limit.maxShare !== null ? `${percent(limit.maxShare)} of ${c.before}` : null,
    ].filter(Boolean);
    reasons.push({
      type: 'deletion_limit',
      kind,
      deleted: c.deleted,
      before: c.before,
      limit,
      message: `would delete ${c.deleted} of ${c.before} ${kind} (${percent(share)}), over the limit of ${bounds.join(' or ')} (safety.deletions.${kind})`,
    });
  }
  return reasons;
}

/** A SIS that had records of a kind and now returns none is far likelier broken than emptied. */
export function emptyFeedReasons(counts: Counts): HoldReason[] {
  const reasons: HoldReason[] = [];
  for (const [kind, c] of Object.entries(counts)) {
    if (c && c.before > 0 && c.created + c.updated + c.unchanged === 0) {
      reasons.push({ type: 'empty_feed', kind, before: c.before, message: `the SIS returned no ${kind}, where the store holds ${c.before}` });
    }
  }
  return reasons;
}

export function qualityBlockReasons(counts: Partial<Record<RuleName, number>>, severity: Record<string, 'warn' | 'block'>, findings: Finding[]): HoldReason[] {
  const reasons: HoldReason[] = [];
  for (const [rule, count] of Object.entries(counts) as [RuleName, number][]) {
    if (severity[rule] !== 'block' || !count) continue;
    const example = findings.find((f) => f.rule === rule);
    reasons.push({ type: 'quality_block', rule, count, message: `${count} finding(s) of rule ${rule}, set to block (quality.rules.${rule})${example ? `, e.g. ${example.message}` : ''}` });
  }
  return reasons;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}
