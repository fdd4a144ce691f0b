import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { openDb, type Db } from '../../server/db/knex.ts';
import { toCount } from '../../server/db/dialect.ts';
import { answerInvitation } from '../../server/responses/email-link.ts';

/** The statements `db` runs while `fn` runs (knex's own and the prepared ones of the hot paths), but the read of the cache versions. */
async function statementsDuring(db: Db, fn: () => Promise<unknown>): Promise<{ sql: string; method?: string }[]> {
  const seen: { sql: string; method?: string }[] = [];
  const listener = (q: { sql: string; method?: string }) => seen.push({ sql: q.sql, method: q.method });
  db.on('query', listener);
  try {
    await fn();
  } finally {
    db.removeListener('query', listener);
  }
  // The versions are read at most once a second, whatever the request (cache-versions.test.ts).
  return seen.filter((s) => !/cache_versions/.test(s.sql));
}

const list = (statements: { sql: string; method?: string }[]) => statements.map((s) => `${s.method ?? '-'}: ${s.sql.replace(/\s+/g, ' ').slice(0, 100)}`).join('\n');

/**
 * The transaction around the answers (knex's: the process's caches of surveys, settings and webhook
 * endpoints read through it, nothing while they are unchanged): BEGIN, on SQLite its write lock, COMMIT.
 * Everything else must be a prepared statement.
 */
const isEnvelope = (s: { sql: string }) => /^\s*(BEGIN|COMMIT)\b/i.test(s.sql) || /^\s*UPDATE settings SET key = key WHERE 0\s*$/i.test(s.sql);

function expectOneTransactionOfPrepared(statements: { sql: string; method?: string }[]) {
  expect(statements.filter((s) => /^\s*BEGIN/i.test(s.sql)), list(statements)).to.have.length(1);
  expect(statements.filter((s) => /^\s*COMMIT/i.test(s.sql)), list(statements)).to.have.length(1);
  expect(statements.filter((s) => s.method !== 'prepared' && !isEnvelope(s)), list(statements)).to.deep.equal([]);
}

const prepared = (statements: { sql: string; method?: string }[]) => statements.filter((s) => s.method === 'prepared');

const SECOND = 1000;
/** What the page sends when a person pressed Send after using it. */
const PERSON = { trigger: 'click', input: 'pointer' };

/**
 * The answer path's round trips (issue 13): POST /r/:token takes the connection once, for one transaction,
 * and every statement of the answer itself is prepared: the invitation held and read (with its response
 * and whether answers of it are held) in two, then only what it writes. What answers count (the response
 * and send rollups, the property values) is written once per transaction, for all the answers stored in it.
 */
describe('the answer path: one transaction of prepared statements, a counted number of round trips', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let http: ReturnType<typeof supertest>;
  const post = (token: string, body: Record<string, string>) => http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send(body);
  /** An invitation sent ten minutes ago, with two properties (the segment rollups and property values have rows to write). */
  async function sent(surveyKey = 'count-nps') {
    const seeded = await seedInvitation(ctx, { state: 'sent', surveyKey, properties: { region: 'north', plan: 'team' } });
    ctx.clock.advance(10 * 60 * SECOND);
    return seeded;
  }

  before(async () => {
    http = supertest(ctx.app);
    ctx.clock.set('2026-11-23T10:00:00Z');
    // The first answer fills the process's caches (settings, survey, webhook endpoints).
    const { token } = await sent();
    await post(token, { score: '9', comment: '', ...PERSON }).expect(200);
  });

  it("a person's first answer: one transaction; five statements of its own, eight for what it counts, all prepared", async () => {
    const { token, invitationId } = await sent();
    let body: { saved?: boolean; state?: string } = {};
    const statements = await statementsDuring(ctx.deps.db, async () => {
      body = (await post(token, { score: '9', comment: 'Quick', ...PERSON }).expect(200)).body;
    });
    expect(body).to.include({ saved: true, state: 'settled' });
    expectOneTransactionOfPrepared(statements);
    // The invitation held, read; the response, the invitation marked responded (and so touched), the answer
    // in the ledger; then the property values, three response rollups, three send rollups, the invitation's
    // values marked answered.
    expect(prepared(statements), list(statements)).to.have.length(13);
    // No read of what was just written, and no second read of the invitation.
    expect(prepared(statements).filter((s) => /^\s*SELECT/i.test(s.sql)), list(statements)).to.have.length(1);
    const invitation = await ctx.deps.db('invitations').where({ id: invitationId }).first();
    expect(invitation.state).to.equal('responded');
    expect(invitation.updated_at).to.equal(invitation.responded_at);
  });

  it('a change within the edit window: its own six statements, and the three rollups it moves', async () => {
    const { token } = await sent();
    await post(token, { score: '9', comment: 'Quick', ...PERSON }).expect(200);
    const statements = await statementsDuring(ctx.deps.db, () => post(token, { score: '3', comment: 'Slow', ...PERSON }).expect(200));
    expectOneTransactionOfPrepared(statements);
    // Held, read, touched; the response changed, its property values rescored, the answer; the old score out of and the new one into each rollup, one statement each.
    expect(prepared(statements), list(statements)).to.have.length(9);
  });

  it('an answer the page saved on its own (held): five statements, and no rollup', async () => {
    const { token } = await sent();
    let body: { saved?: boolean; state?: string } = {};
    const statements = await statementsDuring(ctx.deps.db, async () => {
      body = (await post(token, { score: '7', trigger: 'auto' }).expect(200)).body;
    });
    expect(body).to.include({ saved: true, state: 'held' });
    expectOneTransactionOfPrepared(statements);
    // Held, read, touched, what its links saw, the answer.
    expect(prepared(statements), list(statements)).to.have.length(5);
  });

  it('answers that arrive together share the transaction and what they count: five statements each, eight for them all', async () => {
    const seeded: Awaited<ReturnType<typeof sent>>[] = [];
    for (let i = 0; i < 10; i++) seeded.push(await sent());
    let kinds: string[] = [];
    const statements = await statementsDuring(ctx.deps.db, async () => {
      // What the route calls, for ten requests whose bodies arrived in the same turn of the event loop.
      kinds = (await Promise.all(seeded.map((s, i) => answerInvitation(ctx.deps, s.token, { score: String(i), ...PERSON }, 'Mozilla/5.0 test')))).map((a) => a.kind);
    });
    expect(kinds).to.deep.equal(seeded.map(() => 'saved'));
    expectOneTransactionOfPrepared(statements);
    expect(prepared(statements), list(statements)).to.have.length(5 * 10 + 8);
  });

  it('two answers to one invitation in one transaction: the second changes what the first stored, and every count agrees with the responses', async () => {
    const surveyKey = 'twice-nps';
    const first = await sent(surveyKey);
    const other = await sent(surveyKey);
    const [a, b, c] = await Promise.all([
      answerInvitation(ctx.deps, first.token, { score: '9', comment: 'Quick', ...PERSON }, null),
      answerInvitation(ctx.deps, other.token, { score: '10', ...PERSON }, null),
      answerInvitation(ctx.deps, first.token, { score: '2', ...PERSON }, null),
    ]);
    expect([a.kind, b.kind, c.kind]).to.deep.equal(['saved', 'saved', 'saved']);
    const db = ctx.deps.db;
    const responses = await db('responses').whereIn('invitation_id', [first.invitationId, other.invitationId]).orderBy('invitation_id');
    expect(responses.map((r) => [Number(r.invitation_id), Number(r.score), r.comment])).to.deep.equal([
      [first.invitationId, 2, 'Quick'],
      [other.invitationId, 10, null],
    ]);
    const surveyId = first.survey.id;
    const counts = async (table: string) =>
      Object.fromEntries(((await db(table).where({ survey_id: surveyId }).select('score', 'count')) as { score: number; count: unknown }[]).filter((r) => toCount(r.count) !== 0).map((r) => [Number(r.score), toCount(r.count)]));
    expect(await counts('response_daily')).to.deep.equal({ 2: 1, 10: 1 });
    expect(await counts('response_quarter_hours')).to.deep.equal({ 2: 1, 10: 1 });
    const segments = await db('response_segment_daily').where({ survey_id: surveyId, name: 'region' }).select('score', 'count');
    expect(Object.fromEntries(segments.filter((r) => toCount(r.count) !== 0).map((r) => [Number(r.score), toCount(r.count)]))).to.deep.equal({ 2: 1, 10: 1 });
    // Each response's property values carry its score as it is now.
    const values = await db('response_values').whereIn('response_id', responses.map((r) => r.id)).select('response_id', 'name', 'score');
    expect(values).to.have.length(4);
    for (const v of values) expect(Number(v.score)).to.equal(Number(responses.find((r) => r.id === v.response_id)!.score));
    // Both invitations answered once, on the day they were sent.
    const [sends] = await db('invitation_daily').where({ survey_id: surveyId }).select('sent', 'responded');
    expect([toCount(sends.sent), toCount(sends.responded)]).to.deep.equal([2, 2]);
    const answered = await db('invitation_values').whereIn('invitation_id', [first.invitationId, other.invitationId]).select('responded');
    expect(answered.map((r) => Number(r.responded))).to.deep.equal([1, 1, 1, 1]);
    const ledger = await db('answers').where({ invitation_id: first.invitationId }).orderBy('id');
    expect(ledger.map((r) => [r.state, r.reason, Number(r.score)])).to.deep.equal([
      ['settled', 'person', 9],
      ['settled', 'person', 2],
    ]);
  });

  it("an answer held and a person's answer to the same invitation in one transaction: the held one is replaced", async () => {
    const { token, invitationId } = await sent('replace-nps');
    const [held, person] = await Promise.all([answerInvitation(ctx.deps, token, { score: '4', trigger: 'auto' }, null), answerInvitation(ctx.deps, token, { score: '8', ...PERSON }, null)]);
    expect([held.kind, person.kind]).to.deep.equal(['saved', 'saved']);
    const ledger = await ctx.deps.db('answers').where({ invitation_id: invitationId }).orderBy('id');
    expect(ledger.map((r) => [r.state, r.reason])).to.deep.equal([
      ['discarded', 'replaced'],
      ['settled', 'person'],
    ]);
    expect(Number((await ctx.deps.db('responses').where({ invitation_id: invitationId }).first()).score)).to.equal(8);
  });

  it('two processes answering the same invitations at once: each invitation gets one response, counted once; the later answer changes it', async () => {
    const other = openDb(ctx.deps.config.databaseUrl);
    try {
      const surveyKey = 'race-nps';
      const seeded: Awaited<ReturnType<typeof sent>>[] = [];
      for (let i = 0; i < 6; i++) seeded.push(await sent(surveyKey));
      const outcomes = await Promise.all(
        seeded.flatMap((s) => [
          answerInvitation(ctx.deps, s.token, { score: '9', ...PERSON }, null),
          answerInvitation({ ...ctx.deps, db: other }, s.token, { score: '3', ...PERSON }, null),
        ]),
      );
      expect(outcomes.map((o) => o.kind)).to.deep.equal(outcomes.map(() => 'saved'));
      const db = ctx.deps.db;
      const ids = seeded.map((s) => s.invitationId);
      const responses = await db('responses').whereIn('invitation_id', ids).select('invitation_id', 'score');
      expect(responses).to.have.length(6);
      const ledger = await db('answers').whereIn('invitation_id', ids).orderBy('id').select('invitation_id', 'state', 'score');
      expect(ledger.filter((r) => r.state === 'settled')).to.have.length(12);
      // Each response holds the score of the invitation's later answer (the ledger's last), and each count agrees with the responses.
      for (const r of responses) {
        const last = ledger.filter((a) => Number(a.invitation_id) === Number(r.invitation_id)).at(-1)!;
        expect(Number(r.score)).to.equal(Number(last.score));
      }
      const byScore = (rows: { score: number }[]) => rows.reduce<Record<number, number>>((m, r) => ({ ...m, [Number(r.score)]: (m[Number(r.score)] ?? 0) + 1 }), {});
      const daily = await db('response_daily').where({ survey_id: seeded[0].survey.id }).select('score', 'count');
      expect(Object.fromEntries(daily.filter((r) => toCount(r.count) !== 0).map((r) => [Number(r.score), toCount(r.count)]))).to.deep.equal(byScore(responses));
      const [sends] = await db('invitation_daily').where({ survey_id: seeded[0].survey.id }).select('sent', 'responded');
      expect([toCount(sends.sent), toCount(sends.responded)]).to.deep.equal([6, 6]);
    } finally {
      await other.destroy();
    }
  });

  it('an unknown token and an invitation never sent: nothing but the hold and the read, which find nothing to write', async () => {
    const scheduled = await seedInvitation(ctx, { state: 'scheduled' });
    for (const token of ['x'.repeat(40), scheduled.token]) {
      const statements = await statementsDuring(ctx.deps.db, () => post(token, { score: '9', ...PERSON }).expect(404));
      expectOneTransactionOfPrepared(statements);
      expect(prepared(statements).map((s) => s.sql.trim().split(/\s+/)[0].toUpperCase()), list(statements)).to.deep.equal(['UPDATE', 'SELECT']);
    }
    expect(await ctx.deps.db('answers').where({ invitation_id: scheduled.invitationId })).to.have.length(0);
  });
});
