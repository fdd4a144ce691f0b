import crypto from 'node:crypto';
import type { Deps } from '../deps.ts';
import { HOUR } from '../clock.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { toDbTime } from '../db/time.ts';
import { parseInput } from '../validation.ts';
import { webhookUrlProblem } from './address-guard.ts';
import { TEST_EVENT_TYPE, insertMessages } from './outbox.ts';
import { deleteEndpoint, findEndpoint, insertEndpoint, listEndpoints, recentMessages, requeueMessage, updateEndpoint, type EndpointRow } from './queries.ts';
import { newWebhookSchema, webhookChangeSchema } from './schemas.ts';
import { findSharedSurveyById, findSurveyByKey } from '../surveys/queries.ts';
import { scoreGroupOf } from '../surveys/model.ts';
import { ALERT_TYPE } from './chat.ts';

/** How long a rotated-out secret still signs (both signatures are sent), so receivers can switch over. */
const ROTATION_OVERLAP_MS = 24 * HOUR;

/** A new signing secret: `whsec_` and the base64 of 32 random bytes (the Standard Webhooks form). */
const newSecret = () => `whsec_${crypto.randomBytes(32).toString('base64')}`;

/** An endpoint as the API shows it; the secret only when it was just made. */
export interface WebhookView {
  id: number;
  kind: EndpointRow['kind'];
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
  /** Slack and Teams: the survey whose answers alert, and the rule. */
  survey?: string | null;
  alert?: { scores: string; needs_comment: boolean };
  secret?: string;
}

const view = async (db: Deps['db'], row: EndpointRow, secret?: string): Promise<WebhookView> => ({
  id: row.id,
  kind: row.kind,
  url: row.url,
  description: row.description,
  events: JSON.parse(row.events) as string[],
  enabled: row.disabled_at === null,
  disabled_reason: row.disabled_reason,
  failing_since: row.failing_since,
  created_at: row.created_at,
  updated_at: row.updated_at,
  ...(row.kind === 'webhook'
    ? {}
    : {
        survey: row.survey_id ? ((await findSharedSurveyById(db, row.survey_id))?.key ?? null) : null,
        alert: { scores: row.alert_scores ?? 'detractors', needs_comment: Boolean(row.alert_needs_comment) },
      }),
  ...(secret ? { secret } : {}),
});

function checkUrl(deps: Pick<Deps, 'config'>, url: string): void {
  const problem = webhookUrlProblem(url, deps.config.webhookAllowPrivate);
  if (problem) throw ValidationError.field('url', problem);
}

async function endpointOr404(deps: Pick<Deps, 'db'>, id: number): Promise<EndpointRow> {
  const row = Number.isSafeInteger(id) && id > 0 ? await findEndpoint(deps.db, id) : undefined;
  if (!row) throw new NotFoundError(`No webhook has the id ${id}`);
  return row;
}

/** POST /api/v1/webhooks: the endpoint with its secret (shown this once). */
export async function createWebhook(deps: Pick<Deps, 'db' | 'clock' | 'config'>, body: unknown): Promise<WebhookView> {
  const input = parseInput(newWebhookSchema, body);
  checkUrl(deps, input.url);
  let surveyId: number | null = null;
  if (input.kind === 'webhook') {
    if (!input.events) throw ValidationError.field('events', 'must name at least one event type');
  } else {
    if (!input.survey) throw ValidationError.field('survey', `must name the survey whose answers alert in ${input.kind === 'slack' ? 'Slack' : 'Teams'}`);
    const survey = await findSurveyByKey(deps.db, input.survey);
    if (!survey) throw ValidationError.field('survey', `must be a survey key: there is no survey ${input.survey}`);
    surveyId = survey.id;
  }
  const now = toDbTime(deps.clock.now());
  const secret = newSecret();
  const row: Omit<EndpointRow, 'id'> = {
    kind: input.kind,
    survey_id: surveyId,
    alert_scores: input.kind === 'webhook' ? null : (input.alert?.scores ?? 'detractors'),
    alert_needs_comment: input.kind === 'webhook' ? null : Number(input.alert?.needs_comment ?? true),
    url: input.url,
    description: input.description ?? '',
    events: JSON.stringify(input.kind === 'webhook' ? [...new Set(input.events)] : []),
    secret,
    previous_secret: null,
    previous_secret_until: null,
    disabled_at: null,
    disabled_reason: null,
    failing_since: null,
    created_at: now,
    updated_at: now,
  };
  const id = await insertEndpoint(deps.db, row);
  // A chat endpoint signs nothing: the URL is its secret.
  return view(deps.db, { ...row, id }, input.kind === 'webhook' ? secret : undefined);
}

export const listWebhooks = async (deps: Pick<Deps, 'db'>): Promise<WebhookView[]> => Promise.all((await listEndpoints(deps.db)).map((row) => view(deps.db, row)));

export const getWebhook = async (deps: Pick<Deps, 'db'>, id: number): Promise<WebhookView> => view(deps.db, await endpointOr404(deps, id));

/** PATCH /api/v1/webhooks/:id: the fields given; `rotate_secret` answers the new secret once. */
export async function changeWebhook(deps: Pick<Deps, 'db' | 'clock' | 'config'>, id: number, body: unknown): Promise<WebhookView> {
  const row = await endpointOr404(deps, id);
  const input = parseInput(webhookChangeSchema, body);
  if (input.url !== undefined) checkUrl(deps, input.url);
  const now = deps.clock.now();
  const change: Partial<EndpointRow> = { updated_at: toDbTime(now) };
  if (input.url !== undefined) change.url = input.url;
  if (input.events !== undefined && row.kind === 'webhook') change.events = JSON.stringify([...new Set(input.events)]);
  if (input.alert !== undefined && row.kind !== 'webhook') Object.assign(change, { alert_scores: input.alert.scores, alert_needs_comment: Number(input.alert.needs_comment) });
  if (input.description !== undefined) change.description = input.description;
  if (input.enabled === false && row.disabled_at === null) Object.assign(change, { disabled_at: toDbTime(now), disabled_reason: 'Turned off' });
  if (input.enabled === true) Object.assign(change, { disabled_at: null, disabled_reason: null, failing_since: null });
  let secret: string | undefined;
  if (input.rotate_secret) {
    secret = newSecret();
    Object.assign(change, { secret, previous_secret: row.secret, previous_secret_until: toDbTime(new Date(now.getTime() + ROTATION_OVERLAP_MS)) });
  }
  await updateEndpoint(deps.db, id, change);
  return view(deps.db, { ...row, ...change }, secret);
}

export async function removeWebhook(deps: Pick<Deps, 'db'>, id: number): Promise<void> {
  await endpointOr404(deps, id);
  await deleteEndpoint(deps.db, id);
}

/** POST /api/v1/webhooks/:id/test: a `webhook.test` message to this endpoint alone, due now; its webhook-id. */
export async function sendTestEvent(deps: Pick<Deps, 'db' | 'clock'>, id: number): Promise<{ message_id: string }> {
  const row = await endpointOr404(deps, id);
  const now = deps.clock.now();
  if (row.kind !== 'webhook') {
    // A chat gets a sample alert of its survey, as a real one would look.
    const survey = row.survey_id ? await findSharedSurveyById(deps.db, row.survey_id) : undefined;
    const [messageId] = await insertMessages(deps.db, [row.id], ALERT_TYPE, now, {
      survey: survey?.key ?? null,
      touchpoint: survey?.touchpoint_key ?? null,
      metric: survey?.metric ?? 'nps',
      score: survey && survey.metric !== 'nps' ? 1 : 0,
      score_group: survey ? scoreGroupOf(survey.metric, survey.metric === 'nps' ? 0 : 1) : 'detractor',
      comment: 'A test alert from Touchpoint: this is how an answer that alerts looks here.',
      answered_at: now.toISOString(),
      customer: null,
    });
    return { message_id: messageId };
  }
  const [messageId] = await insertMessages(deps.db, [row.id], TEST_EVENT_TYPE, now, { webhook_id: row.id, message: 'A test event from Touchpoint.' });
  return { message_id: messageId };
}

/** The endpoint's newest messages, each with its attempts. */
export async function webhookMessages(deps: Pick<Deps, 'db'>, id: number) {
  await endpointOr404(deps, id);
  return (await recentMessages(deps.db, id)).map((m) => ({
    id: m.id,
    message_id: m.message_id,
    type: m.type,
    state: m.state,
    attempts: m.attempts,
    next_attempt_at: m.state === 'pending' ? m.next_attempt_at : null,
    created_at: m.created_at,
    finished_at: m.finished_at,
    tries: m.attempts_list.map((a) => ({ at: a.at, status: a.status, duration_ms: a.duration_ms, response: a.response, error: a.error })),
  }));
}

/** Sends one of the endpoint's messages again (a new attempt with the same webhook-id). */
export async function resendMessage(deps: Pick<Deps, 'db' | 'clock'>, id: number, messageId: number): Promise<void> {
  await endpointOr404(deps, id);
  if ((await requeueMessage(deps.db, id, messageId, toDbTime(deps.clock.now()))) === 0) throw new NotFoundError(`The webhook ${id} has no message ${messageId}`);
}
