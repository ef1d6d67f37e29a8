/** The readable summaries (email subject and body, Slack message) for every kind of event. */
import { describe, expect, it } from 'vitest';
import { emailSubject, headline, slackMessage, summaryText } from '../../daemon/src/notify/index.js';
import { event } from './helpers.js';

describe('summaries', () => {
  it('say in one line what happened, for every kind', () => {
    expect(emailSubject(event('held', { counts: { students: { created: 0, updated: 0, deleted: 812 } } }))).toBe('[rosterd] springfield classes held: 812 students would be removed');
    expect(headline(event('held', { counts: {} }))).toBe('springfield classes held: waiting for an admin to approve');
    expect(headline(event('failed', { job: 'students' }))).toBe('springfield students failed: ROSTERD_SIS_AUTH_FAILED; nothing was changed');
    expect(headline(event('succeeded_with_issues'))).toBe('springfield classes synced with 4 data-quality issues');
    expect(headline(event('succeeded_with_issues', { topIssues: [{ rule: 'user-without-email', count: 1 }] }))).toBe('springfield classes synced with 1 data-quality issue');
    expect(headline(event('succeeded'))).toBe('springfield classes synced: 12 created, 8 updated, 5 removed');
    expect(headline(event('recovered'))).toBe('springfield classes recovered: synced again after a failed or held run');
  });

  it('give the details and what to do in the body', () => {
    const failed = summaryText(event('failed', { runUrl: undefined, runId: null }));
    expect(failed).toContain('Run:         (none)');
    expect(failed).toContain('Error: the SIS refused the client credentials [ROSTERD_SIS_AUTH_FAILED]');
    expect(failed).toContain('The roster was left as it was.');
    expect(failed).not.toContain('Run details:');
    const issues = summaryText(event('succeeded_with_issues'));
    expect(issues).toContain('Top data-quality issues:\n  user-without-email: 3\n  class-without-teacher: 1\n');
    expect(summaryText(event('held', { runId: 7 }))).toContain('`rosterd approve 7`');
    const additionsOnly = summaryText(event('succeeded', { counts: { students: { created: 1, updated: 0, deleted: 0, kept: 6 } } }));
    expect(additionsOnly).toContain('  students     1 created, 0 updated, 0 removed, 6 kept (additions only)\n');
    expect(summaryText(event('succeeded'))).not.toContain('kept');
  });

  it('keep a Slack section under Slack\'s 3000-character limit', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ rule: `rule-number-${i}`, count: i + 1 }));
    const msg = slackMessage(event('succeeded_with_issues', { topIssues: many }));
    const sections = msg.blocks as { text: { text: string } }[];
    expect(sections.every((b) => b.text.text.length <= 3000)).toBe(true);
    expect(msg.text).toMatch(/^:large_yellow_circle: \[rosterd\] springfield classes synced with 80200 data-quality issues$/);
  });
});
