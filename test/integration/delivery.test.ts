import { expect } from 'chai';
import { seedInvitation } from '../helpers/invitations.ts';
import { withSmtpTestContext, type ReceivedMail, hrefsOf } from '../helpers/smtp.ts';
import { runOnce, runUntilDone } from '../../server/sending/worker.ts';
import { recheckBeforeSend } from '../../server/eligibility/recheck.ts';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../../server/sending/failures.ts';
import { MINUTE } from '../../server/clock.ts';
import { toDbTime } from '../../server/db/time.ts';
import supertest from 'supertest';

describe('delivery over SMTP', () => {
  const t = withSmtpTestContext({ env: { MAIL_RATE_PER_SECOND: '1000' } });

  const invitationRow = (id: number) => t.ctx.deps.db('invitations').where({ id }).first();
  const received = (to: string): ReceivedMail[] => t.smtp.messages.filter((m) => m.to.includes(to));

  it('sends one message with HTML and text parts, score links with the real token, the trap link first and unsubscribe headers', async () => {
    const seeded = await seedInvitation(t.ctx, { locale: 'en', metric: 'nps' });
    const result = await runOnce(t.ctx.deps);
    expect(result.sent).to.deep.equal([seeded.invitationId]);

    const mails = received(seeded.email);
    expect(mails).to.have.length(1);
    const mail = mails[0];
    expect(mail.parsed.subject).to.equal('A quick question from Touchpoint');
    expect(mail.parsed.html).to.be.a('string');
    expect(mail.parsed.text).to.be.a('string');
    expect(mail.parsed.html).to.contain('How likely are you to recommend us');

    const base = 'http://127.0.0.1:3000';
    const hrefs = hrefsOf(mail.parsed.html!);
    expect(hrefs[0]).to.equal(`${base}/r/${seeded.token}/t`);
    for (let score = 0; score <= 10; score++) {
      const url = `${base}/r/${seeded.token}?score=${score}`;
      expect(hrefs, `HTML link for ${score}`).to.include(url);
      expect(mail.parsed.text, `text link for ${score}`).to.contain(url);
    }
    expect(hrefs.filter((h) => h.includes('?score='))).to.have.length(11);
    expect(mail.parsed.text).not.to.contain('/t\n');
    expect(hrefs).to.include(`${base}/u/${seeded.token}`);

    expect(mail.header('list-unsubscribe')).to.equal(`<${base}/u/${seeded.token}>`);
    expect(mail.header('list-unsubscribe-post')).to.equal('List-Unsubscribe=One-Click');
    expect(mail.parsed.messageId).to.equal(`<invitation-${seeded.invitationId}@127.0.0.1>`);
    expect(mail.parsed.from?.address).to.equal('feedback@localhost');

    const row = await invitationRow(seeded.invitationId);
    expect(row.state).to.equal('sent');
    expect(row.message_id).to.equal(`<invitation-${seeded.invitationId}@127.0.0.1>`);
    expect(row.sent_at).to.equal(toDbTime(t.ctx.clock.now()));
    expect(row.expires_at).to.equal(toDbTime(new Date(t.ctx.clock.now().getTime() + 30 * 86_400_000)));
    expect(row.attempts).to.equal(1);

    // Nothing is due any more: a second run sends nothing.
    expect((await runOnce(t.ctx.deps)).claimed).to.equal(0);
    expect(received(seeded.email)).to.have.length(1);
  });

  it('sends everything due claim after claim, the next claimed while the last one is still sending, each once', async () => {
    const seeded = [];
    for (let i = 0; i < 12; i++) seeded.push(await seedInvitation(t.ctx, {}));
    // What happened, in order: each row's recheck (inside its claim) and each finished send; every send takes 40 ms.
    const steps: string[] = [];
    const mail = t.ctx.deps.mail;
    const slowMail = Object.assign(Object.create(mail) as typeof mail, {
      send: async (m: Parameters<typeof mail.send>[0]) => {
        await new Promise((resolve) => setTimeout(resolve, 40));
        const sent = await mail.send(m);
        steps.push('sent');
        return sent;
      },
    });
    const result = await runUntilDone(
      { ...t.ctx.deps, mail: slowMail },
      {
        batch: 5,
        recheck: (trx, id, now) => {
          steps.push(`claim ${id}`);
          return recheckBeforeSend(trx, id, now);
        },
      },
    );
    // Claims of 5, 5 and 2: each row claimed once, sent once, received once.
    expect(result.claimed).to.equal(12);
    expect([...result.sent].sort((a, b) => a - b)).to.deep.equal(seeded.map((s) => s.invitationId).sort((a, b) => a - b));
    for (const s of seeded) expect(received(s.email), s.email).to.have.length(1);
    expect(steps.filter((x) => x.startsWith('claim'))).to.have.length(12);
    // The second claim was taken before the first claim's five were all sent.
    const secondClaim = steps.indexOf(`claim ${seeded[5].invitationId}`);
    expect(steps.slice(0, secondClaim).filter((x) => x === 'sent').length).to.be.below(5);
    // Nothing is left due: one more run finds nothing.
    expect((await runUntilDone(t.ctx.deps)).claimed).to.equal(0);
  });

  it('writes the email in German for a German invitation, with the scale of the metric', async () => {
    const seeded = await seedInvitation(t.ctx, { locale: 'de', metric: 'csat', surveyKey: 'support-csat' });
    await runOnce(t.ctx.deps);
    const [mail] = received(seeded.email);
    expect(mail.parsed.subject).to.equal('Eine kurze Frage von Touchpoint');
    expect(mail.parsed.html).to.contain('lang="de"');
    const scores = hrefsOf(mail.parsed.html!)
      .filter((h) => h.includes('?score='))
      .map((h) => Number(new URL(h).searchParams.get('score')));
    expect(scores).to.deep.equal([1, 2, 3, 4, 5]);
    expect(mail.parsed.text).to.contain('Keine Umfrage-E-Mails mehr erhalten');
  });

  it('uses the sender, reply-to and brand colour from the settings', async () => {
    await t.ctx.deps.db('settings').insert([
      { key: 'sender_name', value: JSON.stringify('Acme Support') },
      { key: 'sender_address', value: JSON.stringify('support@acme.example') },
      { key: 'reply_to', value: JSON.stringify('care@acme.example') },
      { key: 'brand_color', value: JSON.stringify('#aa3300') },
    ]);
    const seeded = await seedInvitation(t.ctx, {});
    await runOnce(t.ctx.deps);
    const [mail] = received(seeded.email);
    expect(mail.parsed.from).to.deep.include({ name: 'Acme Support', address: 'support@acme.example' });
    expect(mail.parsed.replyTo?.[0]?.address).to.equal('care@acme.example');
    expect(mail.parsed.subject).to.equal('A quick question from Acme Support');
    expect(mail.parsed.html).to.contain('#aa3300');
  });

  it('does not send before send_at', async () => {
    const seeded = await seedInvitation(t.ctx, { sendAt: new Date(t.ctx.clock.now().getTime() + 10 * MINUTE) });
    expect((await runOnce(t.ctx.deps)).claimed).to.equal(0);
    t.ctx.clock.advance(10 * MINUTE);
    expect((await runOnce(t.ctx.deps)).sent).to.deep.equal([seeded.invitationId]);
    expect(received(seeded.email)).to.have.length(1);
  });

  it('retries a temporary refusal (451) with backoff, then sends', async () => {
    const seeded = await seedInvitation(t.ctx, {});
    t.smtp.refuse(seeded.email, 451);
    try {
      const first = await runOnce(t.ctx.deps);
      expect(first.retried).to.deep.equal([seeded.invitationId]);
      let row = await invitationRow(seeded.invitationId);
      expect(row.state).to.equal('scheduled');
      expect(row.attempts).to.equal(1);
      expect(row.last_error).to.contain('451');
      expect(row.next_attempt_at).to.equal(toDbTime(new Date(t.ctx.clock.now().getTime() + RETRY_DELAYS_MS[0])));

      // Not due before its retry time.
      t.ctx.clock.advance(RETRY_DELAYS_MS[0] - 1000);
      expect((await runOnce(t.ctx.deps)).claimed).to.equal(0);

      // The second failure waits longer.
      t.ctx.clock.advance(1000);
      expect((await runOnce(t.ctx.deps)).retried).to.deep.equal([seeded.invitationId]);
      row = await invitationRow(seeded.invitationId);
      expect(row.attempts).to.equal(2);
      expect(row.next_attempt_at).to.equal(toDbTime(new Date(t.ctx.clock.now().getTime() + RETRY_DELAYS_MS[1])));

      t.smtp.accept(seeded.email);
      t.ctx.clock.advance(RETRY_DELAYS_MS[1]);
      expect((await runOnce(t.ctx.deps)).sent).to.deep.equal([seeded.invitationId]);
    } finally {
      t.smtp.accept(seeded.email);
    }
    const row = await invitationRow(seeded.invitationId);
    expect(row.state).to.equal('sent');
    expect(row.attempts).to.equal(3);
    expect(row.last_error).to.equal(null);
    expect(received(seeded.email)).to.have.length(1);
  });

  it('gives up after the last attempt and keeps the error', async () => {
    const seeded = await seedInvitation(t.ctx, {});
    t.smtp.refuse(seeded.email, 451);
    try {
      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        expect((await runOnce(t.ctx.deps)).retried, `attempt ${attempt}`).to.deep.equal([seeded.invitationId]);
        t.ctx.clock.advance(RETRY_DELAYS_MS[attempt - 1]);
      }
      expect((await runOnce(t.ctx.deps)).failed).to.deep.equal([seeded.invitationId]);
    } finally {
      t.smtp.accept(seeded.email);
    }
    const row = await invitationRow(seeded.invitationId);
    expect(row.state).to.equal('failed');
    expect(row.attempts).to.equal(MAX_ATTEMPTS);
    expect(row.last_error).to.contain('451');
    const customer = await t.ctx.deps.db('customers').where({ id: seeded.customerId }).first();
    expect(customer.bounced_at).to.equal(null);
  });

  it('fails a permanent refusal (550) at once and marks the customer bounced', async () => {
    const seeded = await seedInvitation(t.ctx, {});
    t.smtp.refuse(seeded.email, 550);
    try {
      expect((await runOnce(t.ctx.deps)).bounced).to.deep.equal([seeded.invitationId]);
    } finally {
      t.smtp.accept(seeded.email);
    }
    const row = await invitationRow(seeded.invitationId);
    expect(row.state).to.equal('failed');
    expect(row.last_error).to.contain('550');
    const customer = await t.ctx.deps.db('customers').where({ id: seeded.customerId }).first();
    expect(customer.bounced_at).to.equal(toDbTime(t.ctx.clock.now()));
    expect(customer.bounce_reason).to.contain('550');
    expect(received(seeded.email)).to.have.length(0);
  });

  it('takes back an invitation left in sending by a crashed worker and sends it with the same Message-ID and token', async () => {
    const seeded = await seedInvitation(t.ctx, {});
    // First delivery: the worker sends, then "crashes" before marking: we put the row back to how it stood mid-send.
    await runOnce(t.ctx.deps);
    const claimedAt = toDbTime(t.ctx.clock.now());
    await t.ctx.deps.db('invitations')
      .where({ id: seeded.invitationId })
      .update({ state: 'sending', claimed_at: claimedAt, claimed_by: 'crashed-host:1', sent_at: null, message_id: null });

    // A fresh claim is not taken from its worker: only once its lease has run out unrenewed.
    t.ctx.clock.advance(t.ctx.deps.config.workerLeaseMs - 1000);
    expect((await runOnce(t.ctx.deps)).claimed).to.equal(0);

    t.ctx.clock.advance(2 * MINUTE);
    expect((await runOnce(t.ctx.deps)).sent).to.deep.equal([seeded.invitationId]);
    const mails = received(seeded.email);
    expect(mails).to.have.length(2);
    expect(mails[1].parsed.messageId).to.equal(mails[0].parsed.messageId);
    expect(mails[1].parsed.html).to.equal(mails[0].parsed.html);
    expect(hrefsOf(mails[1].parsed.html!)).to.include(`http://127.0.0.1:3000/r/${seeded.token}?score=10`);
    const row = await invitationRow(seeded.invitationId);
    expect(row.state).to.equal('sent');
    expect(row.attempts).to.equal(2);
    expect(row.claimed_by).not.to.equal('crashed-host:1');
  });

  it('suppresses an invitation whose recheck fails, without sending it', async () => {
    const seeded = await seedInvitation(t.ctx, {});
    const result = await runOnce(t.ctx.deps, {
      recheck: async () => ({ ok: false, reason: 'cooldown_global', detail: 'another invitation went out meanwhile' }),
    });
    expect(result.suppressed).to.deep.equal([seeded.invitationId]);
    const row = await invitationRow(seeded.invitationId);
    expect(row).to.deep.include({ state: 'suppressed', reason: 'cooldown_global', reason_detail: 'another invitation went out meanwhile' });
    expect(received(seeded.email)).to.have.length(0);
    expect((await runOnce(t.ctx.deps)).claimed).to.equal(0);
  });

  it('suppresses an invitation to a customer who unsubscribed after the decision (the real recheck)', async function () {
    const seeded = await seedInvitation(t.ctx, {});
    await t.ctx.deps.db('customers').where({ id: seeded.customerId }).update({ unsubscribed_at: toDbTime(t.ctx.clock.now()) });
    expect((await runOnce(t.ctx.deps)).suppressed).to.deep.equal([seeded.invitationId]);
    const row = await invitationRow(seeded.invitationId);
    expect(row.state).to.equal('suppressed');
    expect(row.reason).to.equal('unsubscribed');
    expect(received(seeded.email)).to.have.length(0);
  });

  it('sends many invitations in one run, each once', async () => {
    const seeded = [];
    for (let i = 0; i < 12; i++) seeded.push(await seedInvitation(t.ctx, { locale: i % 2 ? 'de' : 'en' }));
    const result = await runOnce(t.ctx.deps);
    expect(result.sent).to.have.members(seeded.map((s) => s.invitationId));
    for (const s of seeded) expect(received(s.email), s.email).to.have.length(1);
  });

  it('two workers running at once send each invitation once', async () => {
    const seeded = [];
    for (let i = 0; i < 10; i++) seeded.push(await seedInvitation(t.ctx, {}));
    const [a, b] = await Promise.all([runOnce(t.ctx.deps, { batch: 4 }), runOnce(t.ctx.deps, { batch: 4 })]);
    const third = await runOnce(t.ctx.deps);
    const sent = [...a.sent, ...b.sent, ...third.sent];
    expect(sent).to.have.length(10);
    expect(new Set(sent).size).to.equal(10);
    for (const s of seeded) expect(received(s.email), s.email).to.have.length(1);
  });

  it('the List-Unsubscribe header and the footer link of the real email lead to a working unsubscribe', async () => {
    const seeded = await seedInvitation(t.ctx, {});
    await runOnce(t.ctx.deps);
    const [mail] = received(seeded.email);
    const url = new URL(/^<(.+)>$/.exec(mail.header('list-unsubscribe')!)![1]);
    const res = await supertest(t.ctx.app).post(url.pathname).type('form').send(mail.header('list-unsubscribe-post')!);
    expect(res.status).to.equal(200);
    const customer = await t.ctx.deps.db('customers').where({ id: seeded.customerId }).first();
    expect(customer.unsubscribed_at).to.be.a('string');

    // The footer link of the HTML part leads to the page with the choice.
    const footer = hrefsOf(mail.parsed.html!).find((h) => h.includes('/u/'))!;
    const page = await supertest(t.ctx.app).get(new URL(footer).pathname).expect(200);
    expect(page.text).to.contain('You are unsubscribed from all survey emails');
  });
});
