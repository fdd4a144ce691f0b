import path from 'node:path';
import type { Deps } from '../deps.ts';
import { handlebars, viewsDir } from '../http/views.ts';
import { pickLocale, t } from '../i18n/index.ts';
import { listUsers } from '../auth/queries.ts';
import { getSettings } from '../settings/service.ts';
import { fromAddress } from '../mail/sender.ts';

const templates = path.join(viewsDir, 'emails');

/**
 * Tells every active admin, each in their language, that a webhook endpoint was turned off (it answered
 * 410, or failed for days). A mail that cannot be sent is logged: the endpoint's page says it too.
 */
export async function tellAdminsWebhookOff(deps: Deps, endpoint: { id: number; url: string }, reason: string, at: string): Promise<void> {
  const admins = (await listUsers(deps.db)).filter((u) => u.role === 'admin' && !u.deactivated_at);
  const settings = await getSettings(deps.db);
  const host = new URL(deps.config.baseUrl).hostname;
  for (const admin of admins) {
    const locale = pickLocale(admin.locale);
    const context = { locale, subject: t(locale, 'webhook.off_subject', { url: endpoint.url }), url: endpoint.url, reason, pageUrl: `${deps.config.baseUrl}/webhooks/${endpoint.id}` };
    try {
      const [html, text] = await Promise.all([
        handlebars.render(path.join(templates, 'webhook-off.html.hbs'), context, { cache: true }),
        handlebars.render(path.join(templates, 'webhook-off.text.hbs'), context, { cache: true }),
      ]);
      await deps.mail.send({
        messageId: `<webhook-off-${endpoint.id}-${Date.parse(at)}-${admin.id}@${host}>`,
        from: fromAddress(settings, deps.config),
        to: admin.email,
        subject: context.subject,
        html,
        text,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
      });
    } catch (err) {
      deps.log.error({ err, webhookId: endpoint.id, to: admin.email }, 'telling an admin that a webhook was turned off failed');
    }
  }
}
