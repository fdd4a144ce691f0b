import { expect } from 'chai';
import crypto from 'node:crypto';
import supertest from 'supertest';
import { withSmtpTestContext, hrefsOf } from '../helpers/smtp.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { MINUTE, HOUR } from '../../server/clock.ts';
import { hashToken, invitationToken, linkKeyId } from '../../server/tokens.ts';
import { checkLinkSecret } from '../../server/main.ts';
import { ConfigError, type Config } from '../../server/config.ts';
import type { Deps } from '../../server/deps.ts';
import { captureLog } from '../helpers/log.ts';
import { createApp } from '../../server/app.ts';
import * as tokenKeyMigration from '../../migrations/20261203104000_add_invitation_token_key_version.ts';

const hmac = (key: string, message: string) => crypto.createHmac('sha256', key).update(message).digest('base64url');
const tokenIn = (html: string): string => /\/r\/([A-Za-z0-9_-]{43})\?score=/.exec(hrefsOf(html).join(' '))![1];

describe('survey link tokens have their own key (LINK_SECRET), and links made before keep working', function () {
  this.timeout(30_000);
  const t = withSmtpTestContext({ env: { MAIL_RATE_PER_SECOND: '1000', LINK_SECRET: 'link-secret-link-secret-link-secret-0123' } });
  const withConfig = (changes: Partial<Config>): Deps => ({ ...t.ctx.deps, config: { ...t.ctx.deps.config, ...changes } });
  const invitation = (id: number) => t.ctx.deps.db('invitations').where({ id }).first();

  async function postEvent(transactionId: string) {
    await t.ctx.api
      .post('/api/v1/surveys')
      .send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active', send_delay_minutes: 0, question: { en: 'How likely?' } })
      .then((res) => expect(res.status).to.be.oneOf([201, 409]));
    const res = await t.ctx.api
      .post('/api/v1/events')
      .send({ touchpoint: 'delivery', transaction_id: transactionId, customer: { id: `c-${transactionId}`, email: `${transactionId}@example.com` } })
      .expect(202);
    expect(res.body.status).to.equal('scheduled');
    return res.body.invitation_id as number;
  }

  it('a new invitation is made with the link key (version 2), and its email link answers', async () => {
    const id = await postEvent('order-1');
    const row = await invitation(id);
    expect(row.token_key_version).to.equal(2);
    const expected = hmac(t.ctx.deps.config.linkSecret, `invitation:v2:${row.token_salt}`);
    expect(row.token_hash).to.equal(hashToken(expected));
    // Not the session secret's token.
    expect(row.token_hash).not.to.equal(hashToken(hmac(t.ctx.deps.config.sessionSecret, `invitation:${row.token_salt}`)));

    t.ctx.clock.advance(MINUTE);
    expect((await runOnce(t.ctx.deps)).sent).to.deep.equal([id]);
    const token = tokenIn(t.smtp.messages.at(-1)!.parsed.html!);
    expect(token).to.equal(expected);
    await supertest(t.ctx.app).get(`/r/${token}?score=9`).expect(200);
  });

  it('an invitation made before (version 1, from SESSION_SECRET) is still sent with its own link, which answers', async () => {
    const old = await seedInvitation(t.ctx, { tokenKeyVersion: 1 });
    expect(old.token).to.equal(hmac(t.ctx.deps.config.sessionSecret, `invitation:${(await invitation(old.invitationId)).token_salt}`));
    expect((await runOnce(t.ctx.deps)).sent).to.deep.equal([old.invitationId]);
    expect(tokenIn(t.smtp.messages.at(-1)!.parsed.html!)).to.equal(old.token);
    await supertest(t.ctx.app).get(`/r/${old.token}?score=3`).expect(200);
    // And a link already sent answers whatever the keys are now: it is found by its hash.
    const sent = await seedInvitation(t.ctx, { tokenKeyVersion: 1, state: 'sent' });
    const changed = withConfig({ sessionSecret: 'another-session-secret-another-0123456', linkSecret: 'another-link-secret-another-link-0123456' });
    await supertest(createApp(changed)).get(`/r/${sent.token}?score=3`).expect(200);
  });

  it('the migration makes every existing invitation version 1, whose email is the one it always was', async () => {
    const seeded = await seedInvitation(t.ctx, { tokenKeyVersion: 1 });
    await tokenKeyMigration.down(t.ctx.deps.db);
    expect(await t.ctx.deps.db.schema.hasColumn('invitations', 'token_key_version')).to.equal(false);
    await tokenKeyMigration.up(t.ctx.deps.db);
    expect((await invitation(seeded.invitationId)).token_key_version).to.equal(1);
    expect((await runOnce(t.ctx.deps)).sent).to.deep.equal([seeded.invitationId]);
    expect(tokenIn(t.smtp.messages.at(-1)!.parsed.html!)).to.equal(seeded.token);
  });

  it('changing SESSION_SECRET changes no new token: a scheduled invitation is sent with the link it was made with', async () => {
    const id = await postEvent('order-2');
    const before = await invitation(id);
    t.ctx.clock.advance(MINUTE);
    const restarted = withConfig({ sessionSecret: 'a-brand-new-session-secret-0123456789abc' });
    expect((await runOnce(restarted)).sent).to.deep.equal([id]);
    const token = tokenIn(t.smtp.messages.at(-1)!.parsed.html!);
    expect(hashToken(token)).to.equal(before.token_hash);
    expect(invitationToken(restarted.config, before)).to.equal(token);
    await supertest(t.ctx.app).get(`/r/${token}`).expect(200);
  });

  it('a key that is not the one a scheduled invitation was made with fails the send (with the reason) rather than mail a dead link', async () => {
    const id = await postEvent('order-3');
    const old = await seedInvitation(t.ctx, {});
    t.ctx.clock.advance(MINUTE);
    const otherMachine = withConfig({ linkSecret: 'not-the-same-link-secret-as-the-others-01' });
    const result = await runOnce(otherMachine);
    expect(result.sent).to.deep.equal([]);
    expect(t.smtp.messages).to.have.length(0);
    for (const row of [await invitation(id), await invitation(old.invitationId)]) {
      expect(row.state).to.equal('scheduled');
      expect(row.last_error).to.match(/LINK_SECRET other than this process's/);
    }
    // With the right key, the next try sends it.
    t.ctx.clock.advance(HOUR);
    expect((await runOnce(t.ctx.deps)).sent).to.have.members([id, old.invitationId]);
  });

  describe('every process sharing the database has the same key', () => {
    it('records the key id on first start and accepts the same key again', async () => {
      await checkLinkSecret(t.ctx.deps);
      const row = await t.ctx.deps.db('settings').where({ key: 'link_token_key_id' }).first();
      expect(JSON.parse(row.value)).to.equal(linkKeyId(t.ctx.deps.config.linkSecret));
      expect(row.value).not.to.contain(t.ctx.deps.config.linkSecret);
      await checkLinkSecret(t.ctx.deps);
    });

    it("refuses to start with a kept key (var/link-secret) other than the database's, naming LINK_SECRET", async () => {
      await checkLinkSecret(t.ctx.deps);
      const stranger = withConfig({ linkSecret: 'another-machines-kept-link-secret-012345', linkSecretSource: 'kept' });
      const err = await checkLinkSecret(stranger).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/^LINK_SECRET: .*same LINK_SECRET/);
    });

    it('takes a changed LINK_SECRET as meant, and says so in the log', async () => {
      await checkLinkSecret(t.ctx.deps);
      const log = captureLog();
      const changed: Deps = { ...withConfig({ linkSecret: 'a-new-link-secret-set-on-purpose-0123456', linkSecretSource: 'env' }), log: log.log };
      await checkLinkSecret(changed);
      expect(log.lines.map((l) => l.msg).join('\n')).to.match(/LINK_SECRET changed/);
      const row = await t.ctx.deps.db('settings').where({ key: 'link_token_key_id' }).first();
      expect(JSON.parse(row.value)).to.equal(linkKeyId(changed.config.linkSecret));
    });
  });
});
