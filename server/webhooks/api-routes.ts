import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { changeWebhook, createWebhook, getWebhook, listWebhooks, removeWebhook, sendTestEvent, webhookMessages, resendMessage } from './service.ts';

/** /webhooks: subscribe endpoints, change, remove, test, and see and resend their messages. */
export function webhookApiRoutes(deps: Deps): Router {
  const router = Router();
  const id = (raw: string) => Number(raw);
  router.post('/webhooks', async (req, res) => {
    const created = await createWebhook(deps, req.body);
    res.status(201).location(`/api/v1/webhooks/${created.id}`).json(created);
  });
  router.get('/webhooks', async (_req, res) => {
    res.json({ webhooks: await listWebhooks(deps) });
  });
  router.get('/webhooks/:id', async (req, res) => {
    res.json(await getWebhook(deps, id(req.params.id)));
  });
  router.patch('/webhooks/:id', async (req, res) => {
    res.json(await changeWebhook(deps, id(req.params.id), req.body));
  });
  router.delete('/webhooks/:id', async (req, res) => {
    await removeWebhook(deps, id(req.params.id));
    res.status(204).end();
  });
  router.post('/webhooks/:id/test', async (req, res) => {
    res.status(202).json(await sendTestEvent(deps, id(req.params.id)));
  });
  router.get('/webhooks/:id/messages', async (req, res) => {
    res.json({ messages: await webhookMessages(deps, id(req.params.id)) });
  });
  router.post('/webhooks/:id/messages/:message/resend', async (req, res) => {
    await resendMessage(deps, id(req.params.id), Number(req.params.message));
    res.status(202).json({ resent: true });
  });
  return router;
}
