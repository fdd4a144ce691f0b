// Decisions per second with contact rules on: receiveEvent (the event service, no HTTP) one after another,
// for customers with history, so the cooldown and cap checks have invitations and responses to read.
// Floor: one bare INSERT in its own transaction per item (better-sqlite3 directly; on PostgreSQL, knex).
import { receiveEvent } from '../../server/events/service.ts';
import { drive, log, rateRow, throughputBeside, warmUp, type Row } from './common.ts';
import { eventBody } from './ingest.ts';
import { withConnection } from './dashboards.ts';
import type { Bench } from './setup.ts';

export async function benchDecisions(bench: Bench, options: { decisions: number; rounds: number; historyCustomers: number }): Promise<Row[]> {
  const { db, deps } = bench;
  await db.schema.dropTableIfExists('bench_floor');
  await db.schema.createTable('bench_floor', (t) => {
    t.increments('id');
    t.string('transaction_id', 200).notNullable();
    t.text('properties').notNullable();
  });
  const perRound = Math.max(1, Math.floor(options.decisions / options.rounds));
  log(`decisions through the event service: ${options.rounds} rounds of ${perRound.toLocaleString('en')} …`);
  const outcomes: Record<string, number> = {};
  const decide = (from: number, count: number) =>
    drive(count, 1, async (i) => {
      const { answer, repeated } = await receiveEvent(deps, eventBody(bench, 'decide', from + i, options.historyCustomers));
      if (repeated) throw new Error('a decision was a repeat');
      const key = answer.reason ?? answer.status;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    });

  let floor: (from: number, count: number) => Promise<unknown>;
  let floorName: string;
  if (bench.kind === 'sqlite') {
    floorName = 'bare better-sqlite3 INSERT in a transaction';
    floor = (from, count) =>
      withConnection(bench, (c) => {
        const insert = c.prepare('INSERT INTO bench_floor (transaction_id, properties) VALUES (?, ?)');
        const one = c.transaction((n: number) => void insert.run(`floor-${n}`, '{"region":"north","plan":"team"}'));
        for (let i = 0; i < count; i++) one(from + i);
      });
  } else {
    floorName = 'bare INSERT in a transaction (pg, knex)';
    floor = (from, count) =>
      drive(count, 1, (i) => db.transaction((trx) => trx.raw('INSERT INTO bench_floor (transaction_id, properties) VALUES (?, ?)', [`floor-${from + i}`, '{"region":"north","plan":"team"}'])));
  }
  const rate = await throughputBeside(options.rounds, perRound, decide, floor, warmUp(perRound));
  log(`  ${Object.entries(outcomes).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  await db.schema.dropTableIfExists('bench_floor');
  return [rateRow(bench.kind, await bench.responseCount(), 'decisions, contact rules on, history (decisions/s)', floorName, rate)];
}
