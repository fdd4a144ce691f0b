import { isLowScore, scoreGroupOf, type Metric } from '../surveys/model.ts';

/**
 * Survey alerts in chat (issue 14): a Slack incoming webhook or a Microsoft Teams workflow URL tied to a
 * survey gets a message for each answer its rule lets through, formatted for that chat. The outbox keeps
 * the answer's facts (the response.created data); the delivery formats them for the endpoint's kind.
 */

export const chatKinds = ['slack', 'teams'] as const;
export type ChatKind = (typeof chatKinds)[number];
export const alertScoreRules = ['detractors', 'passives_and_detractors', 'any'] as const;
export type AlertScoreRule = (typeof alertScoreRules)[number];

/** The message type of a chat alert in the outbox. */
export const ALERT_TYPE = 'alert';

/** Whether an answer alerts under a survey's rule: its score group, and a comment when the rule needs one. */
export function alertMatches(rule: { scores: AlertScoreRule; needsComment: boolean }, metric: Metric, score: number, comment: string | null): boolean {
  const middle = ['passive', 'mid'].includes(scoreGroupOf(metric, score));
  const scoreAlerts = rule.scores === 'any' || isLowScore(metric, score) || (rule.scores === 'passives_and_detractors' && middle);
  return scoreAlerts && (!rule.needsComment || Boolean(comment?.trim()));
}

/** The facts of an answer as the outbox keeps them (the response.created data). */
interface AlertFacts {
  survey: string | null;
  touchpoint: string | null;
  metric: string | null;
  score: number;
  score_group: string | null;
  comment: string | null;
  answered_at: string;
  customer: { id: string; email: string | null } | null;
}

const headlineOf = (a: AlertFacts) => `${(a.metric ?? '').toUpperCase()} ${a.score}${a.score_group ? ` (${a.score_group})` : ''} on ${a.touchpoint ?? 'a touchpoint'}`;
const customerOf = (a: AlertFacts) => a.customer?.email ?? a.customer?.id ?? 'unknown';
const followUpUrl = (a: AlertFacts, baseUrl: string) => `${baseUrl}/follow-ups?survey=${encodeURIComponent(a.survey ?? '')}`;

/** Slack's mrkdwn treats &, < and > as markup. */
const slackText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A Slack message: `text` (notifications and old clients) and blocks with the score, comment, customer, touchpoint and a link. */
function slackMessage(a: AlertFacts, baseUrl: string): Record<string, unknown> {
  const headline = headlineOf(a);
  return {
    text: `${headline}${a.comment ? `: “${a.comment}”` : ''}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${slackText(headline)}*\n${a.comment ? `>${slackText(a.comment)}` : '_No comment_'}` } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Customer*\n${slackText(customerOf(a))}` },
          { type: 'mrkdwn', text: `*Survey*\n${slackText(a.survey ?? '')}` },
        ],
      },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open the follow-ups' }, url: followUpUrl(a, baseUrl) }] },
    ],
  };
}

/** A Teams workflow message: one Adaptive Card with the same facts and a link. */
function teamsMessage(a: AlertFacts, baseUrl: string): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', size: 'Medium', weight: 'Bolder', text: headlineOf(a), wrap: true },
            { type: 'TextBlock', text: a.comment ?? 'No comment', wrap: true, isSubtle: !a.comment },
            {
              type: 'FactSet',
              facts: [
                { title: 'Customer', value: customerOf(a) },
                { title: 'Survey', value: a.survey ?? '' },
                { title: 'Answered', value: a.answered_at },
              ],
            },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open the follow-ups', url: followUpUrl(a, baseUrl) }],
        },
      },
    ],
  };
}

/** The body a chat endpoint gets for an alert message's payload ({type, timestamp, data}). */
export function chatBody(kind: ChatKind, payload: string, baseUrl: string): string {
  const { data } = JSON.parse(payload) as { data: AlertFacts };
  return JSON.stringify(kind === 'slack' ? slackMessage(data, baseUrl) : teamsMessage(data, baseUrl));
}
