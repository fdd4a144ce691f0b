import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { mayReadMetrics } from './access.ts';
import { readinessProbe } from './readiness.ts';
import { prometheusMetrics } from './metrics.ts';

const noStore = (res: Response) => res.set('Cache-Control', 'no-store');

/**
 * For operators and their tools, mounted before sessions (a probe never makes one):
 * - GET /healthz: the process answers (no database access);
 * - GET /readyz: 200 when the database answers, migrations are current and the mail server is up,
 *   else 503; each check named in the JSON, with its errors for callers allowed /metrics;
 * - GET /metrics: Prometheus text, for loopback or `Authorization: Bearer METRICS_TOKEN` (access.ts).
 */
export function healthRoutes(deps: Deps): Router {
  const router = Router();
  const readiness = readinessProbe(deps);
  const metrics = prometheusMetrics(deps);
  const trusted = (req: Request) => mayReadMetrics({ remoteAddress: req.socket.remoteAddress, headers: req.headers }, deps.config.metricsToken);

  router.get('/healthz', (_req, res) => {
    noStore(res).json({ status: 'ok' });
  });

  router.get('/readyz', async (req, res) => {
    const answer = await readiness(trusted(req));
    noStore(res)
      .status(answer.status === 'ready' ? 200 : 503)
      .json(answer);
  });

  router.get('/metrics', async (req, res) => {
    noStore(res);
    if (!trusted(req)) {
      res
        .status(403)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'https://touchpoint.dev/problems/forbidden',
            title: 'Metrics are for this machine, or for a scraper sending Authorization: Bearer with METRICS_TOKEN',
            status: 403,
          }),
        );
      return;
    }
    const body = await metrics.render();
    res.set('Content-Type', metrics.contentType).send(body);
  });

  return router;
}
