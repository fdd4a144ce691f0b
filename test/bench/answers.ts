// Responses stored per second: POST /r/:token (a person's Send after input, answered in JSON: the path
// that settles at once and counts, server/responses/email-link.ts) over real HTTP on loopback, several
// clients, for seeded invitations sent two days before the clock's now. Floor: a bare Express route that
// parses the same form body, driven the same way.
import express from 'express';
import { DAY } from '../../server/clock.ts';
import { NOW, bareHttpFloor, drive, listen, log, post, rateRow, throughputBeside, warmUp, type Row } from './common.ts';
import { seedInvitations } from './seed.ts';
import type { Bench } from './setup.ts';

export async function benchAnswers(bench: Bench, options: { answers: number; clients: number; rounds: number }): Promise<Row[]> {
  const perRound = Math.max(1, Math.floor(options.answers / options.rounds));
  const warm = warmUp(perRound);
  const total = perRound * options.rounds + warm;
  const sentAt = new Date(NOW.getTime() - 2 * DAY);
  const invitations = await seedInvitations(
    bench,
    'answers',
    Array.from({ length: total }, (_x, i) => ({ customerId: 1 + ((i * 104_729) % bench.customers), surveyIndex: i % bench.surveys.length, state: 'sent' as const, at: sentAt })),
  );
  const before = await bench.responseCount();

  const floorApp = express();
  floorApp.disable('x-powered-by');
  floorApp.use(express.urlencoded({ extended: false, limit: '64kb' }));
  floorApp.post('/floor/r/:token', (req, res) => res.set('Cache-Control', 'no-store').json({ saved: true, score: Number(req.body.score), token: req.params.token.length }));
  const floor = await listen(floorApp);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = (i: number) => new URLSearchParams({ score: String(1 + (i % 5)), comment: i % 4 ? '' : 'Quick and friendly.', trigger: 'click', input: 'pointer' }).toString();

  log(`answers through POST /r/:token: ${options.rounds} rounds of ${perRound.toLocaleString('en')}, ${options.clients} clients …`);
  const latency = { own: [] as number[], floor: [] as number[] };
  const rate = await throughputBeside(
    options.rounds,
    perRound,
    (from, count) =>
      drive(count, options.clients, async (i) => {
        const answer = (await post(`${bench.base}/r/${invitations[from + i].token}`, body(from + i), form, [200])) as { saved: boolean };
        if (!answer.saved) throw new Error(`an answer was not saved: ${JSON.stringify(answer)}`);
      }, latency.own),
    (from, count) => drive(count, options.clients, (i) => post(`${floor.base}/floor/r/${invitations[from + i].token}`, body(from + i), form, [200]), latency.floor),
    warm,
  );
  await floor.close();
  const stored = (await bench.responseCount()) - before;
  const [notSettled] = await bench.db('answers').whereNot({ state: 'settled' }).count({ n: '*' });
  log(`  ${stored.toLocaleString('en')} responses stored, ${Number(notSettled.n)} answers held or discarded`);
  if (stored !== total) throw new Error(`expected ${total} responses stored, found ${stored}`);
  return [rateRow(bench.kind, before + stored, `POST /r/:token, ${options.clients} connections (responses/s)`, bareHttpFloor, rate, latency)];
}
