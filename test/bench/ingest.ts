// Events accepted per second through the API: POST /api/v1/events from several concurrent clients, and
// POST /api/v1/events/batch with 1,000 events a batch, over real HTTP on loopback. Floor: a bare Express
// route that parses the same JSON bodies and answers in the same shape, driven the same way.
import express from 'express';
import { bareHttpFloor, drive, listen, log, post, rateRow, throughputBeside, warmUp, type Row } from './common.ts';
import type { Bench } from './setup.ts';

const regions = ['north', 'south', 'east', 'west'];

/** Each run starts at its own third of the customers with history, so one run's invitations do not put the next run's customers in cooldown. */
const runStart = { one: 0, batch: 1, decide: 2 } as const;

/** The n-th event of a run: a known customer (with history), its own transaction id. */
export function eventBody(bench: Bench, run: keyof typeof runStart, n: number, historyCustomers: number) {
  const slot = runStart[run] * Math.floor(historyCustomers / 3) + n;
  // A prime stride scatters a run's customers over the table (unless it divides the count).
  const c = 1 + ((slot * (historyCustomers % 7919 ? 7919 : 1)) % historyCustomers);
  return {
    touchpoint: bench.surveys[n % bench.surveys.length].touchpoint_key,
    transaction_id: `${run}-${n}`,
    customer: { id: `c-${c}`, email: `customer.${c}@example.com`, name: `Customer ${c}` },
    properties: { region: regions[n % 4], plan: 'team', order_total: n % 500 },
  };
}

export async function benchIngest(
  bench: Bench,
  options: { events: number; batches: number; rounds: number; historyCustomers: number },
): Promise<Row[]> {
  const floorApp = express();
  floorApp.disable('x-powered-by');
  floorApp.use(express.json({ limit: '2mb' }));
  let floorIds = 0;
  floorApp.post('/floor/events', (req, res) => res.status(202).json({ id: ++floorIds, status: 'scheduled', transaction_id: req.body.transaction_id }));
  floorApp.post('/floor/events/batch', (req, res) =>
    res.json({ results: (req.body.events as unknown[]).map((_e, index) => ({ index, id: ++floorIds, status: 'scheduled' })) }),
  );
  const floor = await listen(floorApp);
  const json = { 'content-type': 'application/json' };
  const auth = { ...json, authorization: `Bearer ${bench.apiKey}` };
  const responses = await bench.responseCount();
  const rows: Row[] = [];

  // Single events at 10 and at 50 connections (issue 13 asks for both, and for p99 at 50).
  for (const clients of [10, 50]) {
    const perRound = Math.max(1, Math.floor(options.events / options.rounds));
    const first = clients === 10 ? 0 : perRound * options.rounds + warmUp(perRound);
    log(`events through POST /api/v1/events: ${options.rounds} rounds of ${perRound.toLocaleString('en')}, ${clients} clients …`);
    const outcomes = { scheduled: 0, suppressed: 0 };
    const latency = { own: [] as number[], floor: [] as number[] };
    const single = await throughputBeside(
      options.rounds,
      perRound,
      (from, count) =>
        drive(
          count,
          clients,
          async (i) => {
            const answer = (await post(`${bench.base}/api/v1/events`, JSON.stringify(eventBody(bench, 'one', first + from + i, options.historyCustomers)), auth, [202])) as { status: 'scheduled' | 'suppressed' };
            outcomes[answer.status]++;
          },
          latency.own,
        ),
      (from, count) => drive(count, clients, (i) => post(`${floor.base}/floor/events`, JSON.stringify(eventBody(bench, 'one', first + from + i, options.historyCustomers)), json, [202]), latency.floor),
      warmUp(perRound),
    );
    log(`  ${outcomes.scheduled} scheduled, ${outcomes.suppressed} suppressed`);
    rows.push(rateRow(bench.kind, responses, `POST /api/v1/events, ${clients} connections (events/s)`, bareHttpFloor, single, latency));
  }

  const batchSize = 1000;
  const batchesPerRound = Math.max(1, Math.floor(options.batches / options.rounds));
  const batchClients = Math.min(2, batchesPerRound);
  log(`events through POST /api/v1/events/batch: ${options.rounds} rounds of ${batchesPerRound} × ${batchSize}, ${batchClients} clients …`);
  const batchBody = (from: number, b: number) =>
    JSON.stringify({ events: Array.from({ length: batchSize }, (_e, k) => eventBody(bench, 'batch', (from + b) * batchSize + k, options.historyCustomers)) });
  const batchOutcomes: Record<string, number> = {};
  const batch = await throughputBeside(
    options.rounds,
    batchesPerRound,
    (from, count) =>
      drive(count, batchClients, async (b) => {
        const { results } = (await post(`${bench.base}/api/v1/events/batch`, batchBody(from, b), auth, [200])) as { results: { status: string }[] };
        if (results.length !== batchSize) throw new Error(`a batch answered ${results.length} results`);
        for (const r of results) batchOutcomes[r.status] = (batchOutcomes[r.status] ?? 0) + 1;
      }),
    (from, count) => drive(count, batchClients, (b) => post(`${floor.base}/floor/events/batch`, batchBody(from, b), json, [200])),
  );
  log(`  ${Object.entries(batchOutcomes).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  if (batchOutcomes.error || batchOutcomes.invalid) throw new Error('the batch refused events');
  // Batches were timed per batch; the rate is in events.
  rows.push(
    rateRow(bench.kind, responses, `POST /api/v1/events/batch, ${batchSize} a batch (events/s)`, bareHttpFloor, {
      perSecond: batch.perSecond * batchSize,
      floorPerSecond: batch.floorPerSecond * batchSize,
    }),
  );
  await floor.close();
  return rows;
}
