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
import { localeOf, t, type Locale } from '../i18n/index.ts';

/** What each event type tells, for the form. */
const eventDescriptions = (locale: Locale): Record<(typeof webhookEventTypes)[number], string> => ({
  'response.created': t(locale, 'webhooks.event_response_created'),
  'response.updated': t(locale, 'webhooks.event_response_updated'),
  'invitation.sent': t(locale, 'webhooks.event_invitation_sent'),
  'invitation.failed': t(locale, 'webhooks.event_invitation_failed'),
  'customer.unsubscribed': t(locale, 'webhooks.event_customer_unsubscribed'),
  'followup.created': t(locale, 'webhooks.event_followup_created'),
  'followup.closed': t(locale, 'webhooks.event_followup_closed'),
});

/** Why an endpoint is off, as the page words it: turned off here or by the API is worded; other reasons (the delivery's) are shown as recorded. */
const offReason = (locale: Locale, reason: string | null): string => (reason === 'Turned off' ? t(locale, 'webhooks.turned_off') : (reason ?? ''));

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

  const eventChoices = (locale: Locale, chosen: readonly unknown[]) => {
    const descriptions = eventDescriptions(locale);
    return webhookEventTypes.map((type) => ({ value: type, id: `f-event-${type.replace('.', '-')}`, description: descriptions[type], checked: chosen.includes(type) }));
  };

  type Values = { url?: string; description?: string; events?: unknown[]; kind?: string; survey?: string; scores?: string; needsComment?: boolean };
  const kindLabels = (locale: Locale): Record<string, string> => ({
    webhook: t(locale, 'webhooks.kind_webhook'),
    slack: t(locale, 'webhooks.kind_slack'),
    teams: t(locale, 'webhooks.kind_teams'),
  });
  const scoreLabels = (locale: Locale): Record<string, string> => ({
    detractors: t(locale, 'webhooks.scores_detractors'),
    passives_and_detractors: t(locale, 'webhooks.scores_passives_and_detractors'),
    any: t(locale, 'webhooks.scores_any'),
  });

  const listPage = async (res: Response, extra: { values?: Values; errors?: Record<string, string>; formError?: string } = {}) => {
    const locale = localeOf(res.locals);
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
    const v = extra.values ?? {};
    const scores = scoreLabels(locale);
    return {
      title: t(locale, 'webhooks.title'),
      nav: 'webhooks',
      webhooks: (await listWebhooks(deps)).map((w) => ({ ...w, disabled_reason: offReason(locale, w.disabled_reason), created: formatInstant(w.created_at, shown), chat: w.kind !== 'webhook' })),
      eventChoices: eventChoices(locale, v.events ?? ['response.created']),
      kindOptions: Object.entries(kindLabels(locale)).map(([value, label]) => ({ value, label, selected: (v.kind ?? 'webhook') === value })),
      surveyOptions: [{ value: '', label: t(locale, 'webhooks.for_chat'), selected: !v.survey }, ...(await listSurveys(deps.db)).map((s) => ({ value: s.key, label: `${s.key} (${s.metric.toUpperCase()})`, selected: v.survey === s.key }))],
      scoreOptions: alertScoreRules.map((value) => ({ value, label: scores[value], selected: (v.scores ?? 'detractors') === value })),
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
        setFlash(req, t(localeOf(res.locals), 'webhooks.flash_chat_added', { survey: String(created.survey), chat: values.kind === 'slack' ? 'Slack' : 'Teams' }));
        res.redirect(303, `/webhooks/${created.id}`);
        return;
      }
      res.status(201).render('pages/webhooks/created', { title: t(localeOf(res.locals), 'webhooks.added_title'), nav: 'webhooks', created });
    } catch (err) {
      const failed = fieldErrors(err, (f) => (f.startsWith('events') ? 'events' : f));
      res.status(failed.status).render('pages/webhooks/index', await listPage(res, { values, errors: failed.errors, formError: failed.message }));
    }
  });

  const endpointPage = async (res: Response, id: number, extra: Record<string, unknown> = {}) => {
    const locale = localeOf(res.locals);
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
    const found = await getWebhook(deps, id);
    const webhook = { ...found, disabled_reason: offReason(locale, found.disabled_reason) };
    const messages = (await webhookMessages(deps, id)).map((m) => ({
      ...m,
      created: formatInstant(m.created_at, shown),
      next: m.next_attempt_at ? formatInstant(m.next_attempt_at, shown) : null,
      tries: m.tries.map((t) => ({ ...t, when: formatInstant(t.at, shown), ok: t.status !== null && t.status >= 200 && t.status < 300 })),
    }));
    return {
      title: t(locale, 'webhooks.page_title', { url: webhook.url }),
      nav: 'webhooks',
      webhook,
      chat: webhook.kind !== 'webhook',
      kindLabel: kindLabels(locale)[webhook.kind],
      scoresLabel: webhook.alert ? scoreLabels(locale)[webhook.alert.scores] : null,
      messages,
      failingSince: webhook.failing_since ? formatInstant(webhook.failing_since, shown) : null,
      ...extra,
    };
  };

  router.get('/webhooks/:id', admin, async (req, res) => {
    res.render('pages/webhooks/endpoint', await endpointPage(res, endpointId(req.params.id)));
  });

  const act = (path: string, fn: (req: Request, id: number, locale: Locale) => Promise<string>) =>
    router.post(`/webhooks/:id/${path}`, admin, async (req, res) => {
      const id = endpointId(req.params.id);
      setFlash(req, await fn(req, id, localeOf(res.locals)));
      res.redirect(303, path === 'delete' ? '/webhooks' : `/webhooks/${id}`);
    });

  act('test', async (_req, id, locale) => {
    await sendTestEvent(deps, id);
    return t(locale, 'webhooks.flash_test');
  });
  act('enable', async (_req, id, locale) => {
    await changeWebhook(deps, id, { enabled: true });
    return t(locale, 'webhooks.flash_enabled');
  });
  act('disable', async (_req, id, locale) => {
    await changeWebhook(deps, id, { enabled: false });
    return t(locale, 'webhooks.flash_disabled');
  });
  act('delete', async (_req, id, locale) => {
    await removeWebhook(deps, id);
    return t(locale, 'webhooks.flash_removed');
  });
  act('resend', async (req, id, locale) => {
    await resendMessage(deps, id, Number(formText(req.body, 'message')));
    return t(locale, 'webhooks.flash_resent');
  });

  router.post('/webhooks/:id/rotate', admin, async (req, res) => {
    const rotated = await changeWebhook(deps, endpointId(req.params.id), { rotate_secret: true });
    res.set('Cache-Control', 'no-store');
    res.render('pages/webhooks/created', { title: t(localeOf(res.locals), 'webhooks.new_secret_title'), nav: 'webhooks', created: rotated, rotated: true });
  });

  return router;
}
