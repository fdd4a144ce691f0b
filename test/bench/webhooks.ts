// Webhook messages delivered per second: the real worker pass (deliverDueWebhooks: claim from the outbox,
// sign the Standard Webhooks way, POST with the address check, record the attempt) to a loopback receiver
// that answers 200. Floor: bare POSTs of the same body and headers to the same receiver, as many at once
// as the pass sends. Issue 14 asks for at least as many per second as the worker's emails.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliverDueWebhooks } from '../../server/webhooks/delivery.ts';
import { insertMessages } from '../../server/webhooks/outbox.ts';
import { createWebhook } from '../../server/webhooks/service.ts';
import { MINUTE } from '../../server/clock.ts';
import type { Deps } from '../../server/deps.ts';
import { NOW, drive, log, rateRow, throughputBeside, warmUp, type Row } from './common.ts';
import type { Bench } from './setup.ts';

/** As many at once as the delivery pass sends (server/webhooks/delivery.ts). */
const CONCURRENT = 10;

/** A response.created as an answer makes it. */
const data = (i: number) => ({
  id: i,
  survey: 'touchpoint-01-nps',
  touchpoint: 'touchpoint-01',
  metric: 'nps',
  score: i % 11,
  score_group: i % 11 <= 6 ? 'detractor' : i % 11 <= 8 ? 'passive' : 'promoter',
  comment: i % 7 ? null : 'The parcel came a day late and the box was damaged, but support sorted it out quickly.',
  answered_at: NOW.toISOString(),
  channel: 'email',
  source: 'invitation',
  customer: { id: `c-${i}`, email: `customer.${i}@example.com` },
  properties: { region: 'north', plan: 'team', agent: 'Chen' },
  invitation_id: i,
});

export async function benchWebhooks(bench: Bench, options: { messages: number; rounds: number }): Promise<Row[]> {
  const perRound = Math.max(1, Math.floor(options.messages / options.rounds));
  const warm = warmUp(perRound);
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const deps: Deps = { ...bench.deps, config: { ...bench.deps.config, webhookAllowPrivate: true } };
  const endpoint = await createWebhook(deps, { url, events: ['response.created'] });

  // Each round's messages are due a minute after the round before (the warm-up's now): the clock moves to a
  // round's minute when it starts, so a pass finds that round's messages and no others.
  const measured = perRound * options.rounds;
  const dueAt = (from: number) => new Date(NOW.getTime() + (from >= measured ? -MINUTE : Math.floor(from / perRound) * MINUTE + MINUTE));
  for (const from of [measured, ...Array.from({ length: options.rounds }, (_x, r) => r * perRound)]) {
    const count = from >= measured ? warm : perRound;
    for (let k = 0; k < count; k++) await insertMessages(bench.db, [endpoint.id], 'response.created', dueAt(from), data(from + k));
  }
  const sample = JSON.stringify({ type: 'response.created', timestamp: NOW.toISOString(), data: data(1) });
  const agent = new http.Agent({ keepAlive: true });
  log(`webhooks through the worker pass to a loopback receiver: ${options.rounds} rounds of ${perRound.toLocaleString('en')} …`);
  const rate = await throughputBeside(
    options.rounds,
    perRound,
    async (from, count) => {
      bench.clock.set(new Date(dueAt(from).getTime() + 1000));
      const before = received;
      for (let left = count; left > 0; ) {
        const run = await deliverDueWebhooks(deps);
        if (run.delivered === 0) throw new Error(`the pass delivered nothing with ${left} left: ${JSON.stringify(run)}`);
        left -= run.delivered;
      }
      if (received - before !== count) throw new Error(`the receiver got ${received - before} of ${count}`);
    },
    (_from, count) =>
      drive(
        count,
        CONCURRENT,
        () =>
          new Promise<void>((resolve, reject) => {
            const req = http.request(url, {
              method: 'POST',
              agent,
              headers: { 'content-type': 'application/json', 'webhook-id': 'msg_floor', 'webhook-timestamp': '0', 'webhook-signature': 'v1,floor' },
            });
            req.on('response', (res) => {
              res.resume();
              res.on('end', resolve);
            });
            req.on('error', reject);
            req.end(sample);
          }),
      ),
    warm,
  );
  bench.clock.set(NOW);
  agent.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return [rateRow(bench.kind, await bench.responseCount(), 'webhook delivery → loopback receiver (messages/s)', `bare HTTP POSTs, ${CONCURRENT} at once`, rate)];
}
