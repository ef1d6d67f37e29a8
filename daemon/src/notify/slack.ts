/**
 * The Slack-compatible target: a readable summary posted to an incoming webhook as { text, blocks }.
 * `text` alone is enough for Mattermost, Rocket.Chat and Slack's notifications; `blocks` lays it out in Slack.
 * The URL is itself the credential, so it is read at delivery time and never named in a message.
 */
import type { SlackTarget } from '../config/types.js';
import { headline, summaryText, type SyncEvent } from './event.js';
import { postOnce } from './http-post.js';
import type { Attempt } from './webhook.js';

const ICON: Record<SyncEvent['kind'], string> = {
  failed: ':x:',
  held: ':warning:',
  succeeded_with_issues: ':large_yellow_circle:',
  succeeded: ':white_check_mark:',
  recovered: ':white_check_mark:',
};

/** Slack's section text is limited to 3000 characters. */
const MAX_SECTION = 2900;

export function slackMessage(event: SyncEvent): { text: string; blocks: object[] } {
  const title = `${ICON[event.kind]} [rosterd] ${headline(event)}`;
  const details = summaryText(event).split('\n').slice(2).join('\n').trim();
  const body = details.length > MAX_SECTION ? `${details.slice(0, MAX_SECTION)}\n…` : details;
  return {
    text: title,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${body}\`\`\`` } },
    ],
  };
}

export async function sendSlack(target: SlackTarget, event: SyncEvent, a: Attempt): Promise<void> {
  const url = (await a.resolveSecret(target.webhookUrl)).trim();
  await postOnce({
    url,
    body: JSON.stringify(slackMessage(event)),
    headers: { 'content-type': 'application/json', 'user-agent': 'rosterd' },
    timeoutSeconds: target.timeoutSeconds,
    signal: a.signal,
    describeUrl: 'the Slack webhook URL',
  });
}
