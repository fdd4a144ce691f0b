import { expect } from 'chai';
import supertest from 'supertest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { runOnce } from '../../server/delivery/worker.ts';

describe('development mailbox (no SMTP_URL)', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await createTestContext();
  });
  afterEach(async () => ctx?.close());

  it('stores sent mail and shows it to editors: list, headers, text part and a sandboxed HTML part', async () => {
    expect(ctx.deps.mail.kind).to.equal('mailbox');
    const first = await seedInvitation(ctx, { locale: 'en' });
    const second = await seedInvitation(ctx, { locale: 'de' });
    const result = await runOnce(ctx.deps);
    expect(result.sent).to.have.members([first.invitationId, second.invitationId]);

    const stored = await ctx.deps.db('mailbox_messages').orderBy('id');
    expect(stored).to.have.length(2);
    const row = stored.find((m) => m.to === first.email);
    expect(row.message_id).to.equal(`<invitation-${first.invitationId}@127.0.0.1>`);
    expect(JSON.parse(row.headers)['List-Unsubscribe']).to.equal(`<http://127.0.0.1:3000/u/${first.token}>`);
    const invitation = await ctx.deps.db('invitations').where({ id: first.invitationId }).first();
    expect(invitation.state).to.equal('sent');

    const { agent } = await ctx.signIn('editor');
    const list = await agent.get('/mailbox').expect(200);
    expect(list.text).to.contain(first.email);
    expect(list.text).to.contain(second.email);
    expect(list.text).to.contain('A quick question from Touchpoint');
    expect(list.text).to.contain('Eine kurze Frage von Touchpoint');
    // Newest first.
    expect(list.text.indexOf(`/mailbox/${stored[1].id}"`)).to.be.lessThan(list.text.indexOf(`/mailbox/${stored[0].id}"`));

    const show = await agent.get(`/mailbox/${row.id}`).expect(200);
    expect(show.text).to.contain('List-Unsubscribe-Post');
    expect(show.text.replace(/&#x3D;/g, '=')).to.contain(`http://127.0.0.1:3000/r/${first.token}?score=7`);
    expect(show.text).to.match(/<iframe[^>]*src="\/mailbox\/\d+\/html"[^>]*sandbox=""/);
    // The HTML part is not inlined into the page.
    expect(show.text).not.to.contain('tp-card');

    const html = await agent.get(`/mailbox/${row.id}/html`).expect(200);
    expect(html.headers['content-security-policy']).to.match(/^sandbox;/);
    expect(html.headers['content-type']).to.match(/^text\/html/);
    expect(html.text).to.contain(`/r/${first.token}/t`);

    const text = await agent.get(`/mailbox/${row.id}/text`).expect(200);
    expect(text.headers['content-type']).to.match(/^text\/plain/);
    expect(text.text).to.contain(`/r/${first.token}?score=0`);

    await agent.get('/mailbox/999999').expect(404);
    await agent.get('/mailbox/abc').expect(404);
  });

  it('is closed to viewers (403) and to people not signed in', async () => {
    const seeded = await seedInvitation(ctx, {});
    await runOnce(ctx.deps);
    const id = (await ctx.deps.db('mailbox_messages').first('id')).id;
    const { agent } = await ctx.signIn('viewer');
    for (const path of ['/mailbox', `/mailbox/${id}`, `/mailbox/${id}/html`, `/mailbox/${id}/text`]) {
      const res = await agent.get(path);
      expect(res.status, path).to.equal(403);
      expect(res.text, path).not.to.contain(seeded.email);
    }
    const anonymous = await supertest(ctx.app).get('/mailbox');
    expect(anonymous.status).to.equal(303);
    expect(anonymous.headers.location).to.match(/^\/login/);
  });
});
