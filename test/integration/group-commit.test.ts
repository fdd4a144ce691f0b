import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { writeTogether } from '../../server/db/group-commit.ts';
import { answerInvitation } from '../../server/responses/email-link.ts';

/**
 * Group commit of writes (issue 13, server/db/group-commit.ts): writes that arrive together share one
 * transaction, each in its own savepoint; one that fails is undone alone; every caller is answered after
 * the commit. On SQLite and PostgreSQL.
 */
describe('group commit: writes that arrive together share a transaction, each undone alone', function () {
  this.timeout(60_000);
  const ctx = withTestContext();

  /** The statements that begin a transaction while `fn` runs. */
  async function transactionsDuring(fn: () => Promise<unknown>): Promise<number> {
    let begun = 0;
    const listener = (q: { sql: string }) => {
      if (/^\s*BEGIN/i.test(q.sql)) begun++;
    };
    ctx.deps.db.on('query', listener);
    try {
      await fn();
    } finally {
      ctx.deps.db.removeListener('query', listener);
    }
    return begun;
  }

  const setting = async (key: string) => (await ctx.deps.db('settings').where({ key }).first())?.value ?? null;

  it('three writes at once: one transaction; the one that throws leaves nothing and gets its own error, the others are kept', async () => {
    const write = (key: string, fail: boolean) =>
      writeTogether(ctx.deps.db, async (trx) => {
        await trx('settings').insert({ key, value: JSON.stringify(key) });
        if (fail) throw new Error(`${key} refused`);
        return key;
      });
    let results: PromiseSettledResult<string>[] = [];
    const begun = await transactionsDuring(async () => {
      results = await Promise.allSettled([write('group-a', false), write('group-b', true), write('group-c', false)]);
    });
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).to.deep.equal(['group-a', 'group-b refused', 'group-c']);
    expect(begun).to.equal(1);
    expect([await setting('group-a'), await setting('group-b'), await setting('group-c')]).to.deep.equal(['"group-a"', null, '"group-c"']);
  });

  it('answers that arrive at once (POST /r/:token) are committed in one transaction, each stored once', async () => {
    const seeded: Awaited<ReturnType<typeof seedInvitation>>[] = [];
    for (let i = 0; i < 12; i++) seeded.push(await seedInvitation(ctx, { state: 'sent' }));
    let kinds: string[] = [];
    const begun = await transactionsDuring(async () => {
      // What the route calls, for twelve requests whose bodies arrived in the same turn of the event loop.
      const answers = await Promise.all(seeded.map((s, i) => answerInvitation(ctx.deps, s.token, { score: String(i % 11), trigger: 'click', input: 'pointer' }, 'Mozilla/5.0 test')));
      kinds = answers.map((a) => a.kind);
    });
    expect(kinds).to.deep.equal(seeded.map(() => 'saved'));
    expect(begun).to.equal(1);
    // And through HTTP, one after another, as before.
    const late = await seedInvitation(ctx, { state: 'sent' });
    await supertest(ctx.app).post(`/r/${late.token}`).type('form').send({ score: '7', trigger: 'click', input: 'pointer' }).expect(200);
    seeded.push(late);
    const stored = await ctx.deps.db('responses').whereIn('invitation_id', seeded.map((s) => s.invitationId)).select('invitation_id', 'score');
    expect(stored.map((r) => [Number(r.invitation_id), Number(r.score)]).sort((a, b) => a[0] - b[0])).to.deep.equal(seeded.map((s, i) => [s.invitationId, i < 12 ? i % 11 : 7]));
  });
});
