import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { formatInstant, pageInstants } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { fieldErrors, formChecked, formText, setFlash } from '../http/forms.ts';
import { listSurveys } from '../surveys/queries.ts';
import { alertScoreRules } from './chat.ts';
import { requireRole } from '../auth/middleware.ts';
import { webhookEventTypes } from './outbox.ts';
import { changeWebhook, createWebhook, getWebhook, listWebhooks, removeWebhook, resendMessage, sendTestEvent, webhookMessages } from './service.ts';

/** What each event type tells, for the form. */
const eventDescriptions: Record<(typeof webhookEventTypes)[number], string> = {
  'response.created': 'an answer counts (when it settles, if it was held)',
  'response.updated': 'an answer’s score or comment changed',
  'invitation.sent': 'an invitation email went out',
  'invitation.failed': 'an invitation could not be sent, with the error',
  'customer.unsubscribed': 'a customer unsubscribed, from everything or from one touchpoint',
  'followup.created': 'a low score with a comment came in (the Follow-ups page lists it)',
  'followup.closed': 'a follow-up was marked done, with the note',
};

/** An endpoint id from the path: a positive whole number, else no such endpoint. */
function endpointId(value: unknown): number {
  const id = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : 0;
  if (!id) throw new NotFoundError('There is no such webhook');
  return id;
}

/** The event types a form sent (`events`, repeated). */
const formEvents = (body: unknown): unknown[] => {
  const value = ((body ?? {}) as Record<string, unknown>).events;
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
};

/** /webhooks (admins): the endpoints, a form to add one, and each endpoint's page with its messages and attempts. */
export function webhookPageRoutes(deps: Deps): Router {
  const router = Router();
  const admin = requireRole('admin');

  const eventChoices = (chosen: readonly unknown[]) =>
    webhookEventTypes.map((type) => ({ value: type, id: `f-event-${type.replace('.', '-')}`, description: eventDescriptions[type], checked: chosen.includes(type) }));

  type Values = { url?: string; description?: string; events?: unknown[]; kind?: string; survey?: string; scores?: string; needsComment?: boolean };
  const kindLabels: Record<string, string> = { webhook: 'Webhook: signed JSON of the events chosen below', slack: 'Slack: a survey’s alerts in a channel', teams: 'Microsoft Teams: a survey’s alerts in a channel' };
  const scoreLabels: Record<string, string> = { detractors: 'Detractors (NPS 0–6, CSAT 1–2, CES 1–3)', passives_and_detractors: 'Detractors and passives', any: 'Every answer' };

  const listPage = async (res: Response, extra: { values?: Values; errors?: Record<string, string>; formError?: string } = {}) => {
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
    const v = extra.values ?? {};
    return {
      title: 'Webhooks',
      nav: 'webhooks',
      webhooks: (await listWebhooks(deps)).map((w) => ({ ...w, created: formatInstant(w.created_at, shown), chat: w.kind !== 'webhook' })),
      eventChoices: eventChoices(v.events ?? ['response.created']),
      kindOptions: Object.entries(kindLabels).map(([value, label]) => ({ value, label, selected: (v.kind ?? 'webhook') === value })),
      surveyOptions: [{ value: '', label: '(for Slack and Teams)', selected: !v.survey }, ...(await listSurveys(deps.db)).map((s) => ({ value: s.key, label: `${s.key} (${s.metric.toUpperCase()})`, selected: v.survey === s.key }))],
      scoreOptions: alertScoreRules.map((value) => ({ value, label: scoreLabels[value], selected: (v.scores ?? 'detractors') === value })),
      needsComment: v.needsComment ?? true,
      ...extra,
    };
  };

  router.get('/webhooks', admin, async (_req, res) => {
    res.render('pages/webhooks/index', await listPage(res));
  });

  router.post('/webhooks', admin, async (req, res) => {
    const values: Values = {
      url: formText(req.body, 'url'),
      description: formText(req.body, 'description'),
      events: formEvents(req.body),
      kind: formText(req.body, 'kind') || 'webhook',
      survey: formText(req.body, 'survey'),
      scores: formText(req.body, 'scores') || 'detractors',
      needsComment: formChecked(req.body, 'needs_comment'),
    };
    try {
      const chat = values.kind !== 'webhook';
      const created = await createWebhook(deps, {
        url: values.url,
        kind: values.kind,
        description: values.description,
        ...(chat ? { survey: values.survey || undefined, alert: { scores: values.scores, needs_comment: values.needsComment } } : { events: values.events }),
      });
      deps.log.info({ webhookId: created.id }, 'webhook endpoint added');
      // The secret is in this page only.
      res.set('Cache-Control', 'no-store');
      if (chat) {
        setFlash(req, `Alerts of ${created.survey} now go to ${values.kind === 'slack' ? 'Slack' : 'Teams'}; send a test to see one.`);
        res.redirect(303, `/webhooks/${created.id}`);
        return;
      }
      res.status(201).render('pages/webhooks/created', { title: 'Webhook added', nav: 'webhooks', created });
    } catch (err) {
      const failed = fieldErrors(err, (f) => (f.startsWith('events') ? 'events' : f));
      res.status(failed.status).render('pages/webhooks/index', await listPage(res, { values, errors: failed.errors, formError: failed.message }));
    }
  });

  const endpointPage = async (res: Response, id: number, extra: Record<string, unknown> = {}) => {
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
    const webhook = await getWebhook(deps, id);
    const messages = (await webhookMessages(deps, id)).map((m) => ({
      ...m,
      created: formatInstant(m.created_at, shown),
      next: m.next_attempt_at ? formatInstant(m.next_attempt_at, shown) : null,
      tries: m.tries.map((t) => ({ ...t, when: formatInstant(t.at, shown), ok: t.status !== null && t.status >= 200 && t.status < 300 })),
    }));
    return {
      title: `Webhook ${webhook.url}`,
      nav: 'webhooks',
      webhook,
      chat: webhook.kind !== 'webhook',
      kindLabel: kindLabels[webhook.kind],
      scoresLabel: webhook.alert ? scoreLabels[webhook.alert.scores] : null,
      messages,
      failingSince: webhook.failing_since ? formatInstant(webhook.failing_since, shown) : null,
      ...extra,
    };
  };

  router.get('/webhooks/:id', admin, async (req, res) => {
    res.render('pages/webhooks/endpoint', await endpointPage(res, endpointId(req.params.id)));
  });

  const act = (path: string, fn: (req: Request, id: number) => Promise<string>) =>
    router.post(`/webhooks/:id/${path}`, admin, async (req, res) => {
      const id = endpointId(req.params.id);
      setFlash(req, await fn(req, id));
      res.redirect(303, path === 'delete' ? '/webhooks' : `/webhooks/${id}`);
    });

  act('test', async (_req, id) => {
    await sendTestEvent(deps, id);
    return 'A test event is on its way; it shows below within seconds.';
  });
  act('enable', async (_req, id) => {
    await changeWebhook(deps, id, { enabled: true });
    return 'The webhook is on again.';
  });
  act('disable', async (_req, id) => {
    await changeWebhook(deps, id, { enabled: false });
    return 'The webhook is off: nothing is queued for it until it is on again.';
  });
  act('delete', async (_req, id) => {
    await removeWebhook(deps, id);
    return 'The webhook and its messages are removed.';
  });
  act('resend', async (req, id) => {
    await resendMessage(deps, id, Number(formText(req.body, 'message')));
    return 'The message is on its way again, with the same webhook-id.';
  });

  router.post('/webhooks/:id/rotate', admin, async (req, res) => {
    const rotated = await changeWebhook(deps, endpointId(req.params.id), { rotate_secret: true });
    res.set('Cache-Control', 'no-store');
    res.render('pages/webhooks/created', { title: 'New webhook secret', nav: 'webhooks', created: rotated, rotated: true });
  });

  return router;
}
