import { expect } from 'chai';
import supertest from 'supertest';
import { activeSurvey, seedInvitation } from '../helpers/invitations.ts';
import { withSmtpTestContext, type ReceivedMail, hrefsOf } from '../helpers/smtp.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { claimDueReminders, deliverReminder } from '../../server/sending/reminders.ts';
import { getSettings } from '../../server/settings/service.ts';
import { DAY, HOUR, MINUTE } from '../../server/clock.ts';
import { toDbTime } from '../../server/db/time.ts';

describe('reminders', () => {
  const t = withSmtpTestContext({ env: { MAIL_RATE_PER_SECOND: '1000' } });

  const received = (to: string): ReceivedMail[] => t.smtp.messages.filter((m) => m.to.includes(to));
  const invitationRow = (id: number) => t.ctx.deps.db('invitations').where({ id }).first();

  /** A survey that reminds after `days`, and one of its invitations sent by the worker now. */
  async function sentInvitation(opts: { days?: number; locale?: 'en' | 'de'; key?: string } = {}) {
    const key = opts.key ?? 'remind-nps';
    await activeSurvey(t.ctx, { key, rules: { reminder_after_days: opts.days ?? 3 } });
    const seeded = await seedInvitation(t.ctx, { surveyKey: key, locale: opts.locale });
    expect((await runOnce(t.ctx.deps)).sent).to.deep.equal([seeded.invitationId]);
    expect(received(seeded.email)).to.have.length(1);
    return seeded;
  }

  async function answer(token: string, score = 8) {
    const http = supertest(t.ctx.app);
    const page = await http.get(`/r/${token}?score=${score}`).expect(200);
    const view = /name="view" value="(\d+)"/.exec(page.text)?.[1];
    await http.post(`/r/${token}`).type('form').send({ score: String(score), trigger: 'click', input: 'key', view }).expect(200);
  }

  it('sends one reminder N days after the invitation, not before, not twice, with the same links and its own Message-ID', async () => {
    const seeded = await sentInvitation({ days: 3 });
    t.ctx.clock.advance(3 * DAY - MINUTE);
    const early = await runOnce(t.ctx.deps);
    expect(early.reminders.sent).to.deep.equal([]);
    expect(received(seeded.email)).to.have.length(1);

    t.ctx.clock.advance(MINUTE);
    const due = await runOnce(t.ctx.deps);
    expect(due.reminders.sent).to.deep.equal([seeded.invitationId]);
    const mails = received(seeded.email);
    expect(mails).to.have.length(2);
    const [invitation, reminder] = mails;
    expect(reminder.parsed.subject).to.equal('Reminder: A quick question from Touchpoint');
    expect(reminder.parsed.messageId).to.equal(`<invitation-${seeded.invitationId}-reminder@127.0.0.1>`);
    expect(reminder.parsed.messageId).not.to.equal(invitation.parsed.messageId);
    expect(reminder.parsed.text).to.contain('A few days ago we asked you one question');
    expect(hrefsOf(reminder.parsed.html!)).to.deep.equal(hrefsOf(invitation.parsed.html!));
    expect(reminder.parsed.text).to.contain(`/r/${seeded.token}?score=10`);
    expect(reminder.header('list-unsubscribe')).to.equal(`<http://127.0.0.1:3000/u/${seeded.token}>`);

    const row = await invitationRow(seeded.invitationId);
    expect(row).to.include({ state: 'sent', reminder_state: 'sent', reminder_attempts: 1 });
    expect(row.reminder_sent_at).to.equal(toDbTime(t.ctx.clock.now()));
    expect(row.reminder_message_id).to.equal(`<invitation-${seeded.invitationId}-reminder@127.0.0.1>`);
    // The invitation itself is untouched: it went out three days ago.
    expect(row.sent_at).to.equal(toDbTime(new Date(t.ctx.clock.now().getTime() - 3 * DAY)));
    expect(row.attempts).to.equal(1);

    for (const step of [MINUTE, DAY, 10 * DAY]) {
      t.ctx.clock.advance(step);
      expect((await runOnce(t.ctx.deps)).reminders.claimed).to.equal(0);
    }
    expect(received(seeded.email)).to.have.length(2);

    // The reminder shows in the delivery log.
    const { agent } = await t.ctx.signIn('editor');
    const log = await agent.get('/deliveries');
    if (log.status !== 404) {
      const listRow = new RegExp(`<tr data-invitation="${seeded.invitationId}">([\\s\\S]*?)</tr>`).exec(log.text)![1];
      expect(listRow).to.contain('sent <time');
      const page = await agent.get(`/deliveries/${seeded.invitationId}`).expect(200);
      expect(page.text).to.contain('data-reminder="sent"');
      expect(page.text).to.contain(`/deliveries/${seeded.invitationId}/reminder/html`);
      expect(page.text).to.contain('Reminder: A quick question from Touchpoint');
      const html = await agent.get(`/deliveries/${seeded.invitationId}/reminder/html`).expect(200);
      // Staff see the email as sent, with its links inert.
      expect(html.text.trim()).to.equal(reminder.parsed.html!.replaceAll(seeded.token, 'preview-token').trim());
    }
  });

  it('writes the reminder in German for a German invitation', async () => {
    const seeded = await sentInvitation({ locale: 'de', days: 2 });
    t.ctx.clock.advance(2 * DAY);
    expect((await runOnce(t.ctx.deps)).reminders.sent).to.deep.equal([seeded.invitationId]);
    const reminder = received(seeded.email)[1];
    expect(reminder.parsed.subject).to.equal('Erinnerung: Eine kurze Frage von Touchpoint');
    expect(reminder.parsed.text).to.contain('Vor einigen Tagen');
  });

  it('sends none for a survey without reminder_after_days', async () => {
    const seeded = await seedInvitation(t.ctx, { surveyKey: 'plain-nps' });
    await runOnce(t.ctx.deps);
    t.ctx.clock.advance(20 * DAY);
    expect((await runOnce(t.ctx.deps)).reminders.claimed).to.equal(0);
    expect(received(seeded.email)).to.have.length(1);
    expect((await invitationRow(seeded.invitationId)).reminder_state).to.equal(null);
  });

  it('sends none after a response', async () => {
    const seeded = await sentInvitation({ days: 3 });
    t.ctx.clock.advance(DAY);
    await answer(seeded.token);
    t.ctx.clock.advance(2 * DAY);
    const run = await runOnce(t.ctx.deps);
    expect(run.reminders.sent).to.deep.equal([]);
    expect(received(seeded.email)).to.have.length(1);
  });

  it('a link that expires between the claim and the send stops the reminder', async () => {
    const seeded = await sentInvitation({ days: 3 });
    t.ctx.clock.advance(3 * DAY);
    const settings = await getSettings(t.ctx.deps.db);
    expect((await claimDueReminders(t.ctx.deps, settings, 'test-worker', 10)).toSend).to.deep.equal([seeded.invitationId]);
    await t.ctx.deps.db('invitations').where({ id: seeded.invitationId }).update({ expires_at: toDbTime(t.ctx.clock.now()) });
    expect(await deliverReminder(t.ctx.deps, seeded.invitationId, settings, 'test-worker')).to.equal('suppressed');
    expect((await invitationRow(seeded.invitationId)).reminder_detail).to.match(/^expired/);
    expect(received(seeded.email)).to.have.length(1);
  });

  it('a response that lands after the claim, before the send, stops the reminder', async () => {
    const seeded = await sentInvitation({ days: 3 });
    t.ctx.clock.advance(3 * DAY);
    const settings = await getSettings(t.ctx.deps.db);
    const claim = await claimDueReminders(t.ctx.deps, settings, 'test-worker', 10);
    expect(claim.toSend).to.deep.equal([seeded.invitationId]);
    expect((await invitationRow(seeded.invitationId)).reminder_state).to.equal('sending');
    await answer(seeded.token);
    expect(await deliverReminder(t.ctx.deps, seeded.invitationId, settings, 'test-worker')).to.equal('suppressed');
    expect(received(seeded.email)).to.have.length(1);
    const row = await invitationRow(seeded.invitationId);
    expect(row.reminder_state).to.equal('suppressed');
    expect(row.reminder_detail).to.match(/^responded/);
    t.ctx.clock.advance(DAY);
    expect((await runOnce(t.ctx.deps)).reminders.claimed).to.equal(0);
  });

  it('sends none after the customer unsubscribed from everything (one click) or from this touchpoint', async () => {
    const all = await sentInvitation({ days: 3 });
    const touchpoint = await seedInvitation(t.ctx, { surveyKey: 'remind-nps' });
    await runOnce(t.ctx.deps);
    await supertest(t.ctx.app).post(`/u/${all.token}`).type('form').send('List-Unsubscribe=One-Click').expect(200);
    await supertest(t.ctx.app).post(`/u/${touchpoint.token}`).type('form').send({ scope: 'touchpoint' }).expect(200);
    t.ctx.clock.advance(3 * DAY);
    const run = await runOnce(t.ctx.deps);
    expect(run.reminders.sent).to.deep.equal([]);
    expect(run.reminders.suppressed).to.have.members([all.invitationId, touchpoint.invitationId]);
    expect(received(all.email)).to.have.length(1);
    expect(received(touchpoint.email)).to.have.length(1);
    expect((await invitationRow(all.invitationId)).reminder_detail).to.contain('unsubscribed: from all surveys');
    expect((await invitationRow(touchpoint.invitationId)).reminder_detail).to.contain('unsubscribed: from this touchpoint');
  });

  it('sends none to a bounced or erased customer, nor once the link has expired', async () => {
    const bounced = await sentInvitation({ days: 3 });
    const erased = await seedInvitation(t.ctx, { surveyKey: 'remind-nps' });
    const expired = await seedInvitation(t.ctx, { surveyKey: 'remind-nps' });
    await runOnce(t.ctx.deps);
    const at = toDbTime(t.ctx.clock.now());
    await t.ctx.deps.db('customers').where({ id: bounced.customerId }).update({ bounced_at: at });
    await t.ctx.deps.db('customers').where({ id: erased.customerId }).update({ erased_at: at, email: null });
    await t.ctx.deps.db('invitations').where({ id: expired.invitationId }).update({ expires_at: toDbTime(new Date(t.ctx.clock.now().getTime() + 2 * DAY)) });
    t.ctx.clock.advance(3 * DAY);
    const run = await runOnce(t.ctx.deps);
    expect(run.reminders.sent).to.deep.equal([]);
    expect(run.reminders.suppressed).to.have.members([bounced.invitationId, erased.invitationId]);
    expect((await invitationRow(bounced.invitationId)).reminder_detail).to.match(/^bounced/);
    expect((await invitationRow(erased.invitationId)).reminder_detail).to.match(/^erased/);
    // An expired link is never reminded of, and left as it is.
    expect((await invitationRow(expired.invitationId)).reminder_state).to.equal(null);
    expect(t.smtp.messages).to.have.length(3);
    const { agent } = await t.ctx.signIn('editor');
    const page = await agent.get(`/deliveries/${expired.invitationId}`);
    if (page.status !== 404) expect(page.text).to.contain('data-reminder="expired"');
  });

  it('waits for quiet hours in the customer’s time zone', async () => {
    await activeSurvey(t.ctx, { key: 'remind-nps', rules: { reminder_after_days: 3 } });
    // Sent at 21:30 UTC; three days later it is 22:30 in Berlin, outside 09:00–20:00.
    t.ctx.clock.set('2026-11-20T21:30:00Z');
    const seeded = await seedInvitation(t.ctx, { surveyKey: 'remind-nps', state: 'sent', sentAt: t.ctx.clock.now() });
    await t.ctx.deps.db('customers').where({ id: seeded.customerId }).update({ time_zone: 'Europe/Berlin' });
    t.ctx.clock.set('2026-11-23T21:30:00Z');
    const night = await runOnce(t.ctx.deps);
    expect(night.reminders.deferred).to.deep.equal([seeded.invitationId]);
    expect(received(seeded.email)).to.have.length(0);
    expect((await invitationRow(seeded.invitationId)).reminder_next_attempt_at).to.equal('2026-11-24T08:00:00.000Z');
    t.ctx.clock.set('2026-11-24T07:59:00Z');
    expect((await runOnce(t.ctx.deps)).reminders.claimed).to.equal(0);
    t.ctx.clock.set('2026-11-24T08:00:00Z');
    expect((await runOnce(t.ctx.deps)).reminders.sent).to.deep.equal([seeded.invitationId]);
    expect(received(seeded.email)).to.have.length(1);
    expect(received(seeded.email)[0].parsed.subject).to.match(/^Reminder: /);
  });

  it('retries a temporary refusal of the reminder, and never sends it twice', async () => {
    const seeded = await sentInvitation({ days: 3 });
    t.ctx.clock.advance(3 * DAY);
    t.smtp.refuse(seeded.email, 451);
    const first = await runOnce(t.ctx.deps);
    expect(first.reminders.retried).to.deep.equal([seeded.invitationId]);
    let row = await invitationRow(seeded.invitationId);
    expect(row).to.include({ reminder_state: null, reminder_attempts: 1 });
    expect(row.reminder_last_error).to.contain('451');
    t.smtp.accept(seeded.email);
    expect((await runOnce(t.ctx.deps)).reminders.claimed).to.equal(0);
    t.ctx.clock.advance(MINUTE);
    expect((await runOnce(t.ctx.deps)).reminders.sent).to.deep.equal([seeded.invitationId]);
    row = await invitationRow(seeded.invitationId);
    expect(row).to.include({ reminder_state: 'sent', reminder_attempts: 2, reminder_last_error: null });
    t.ctx.clock.advance(DAY);
    await runOnce(t.ctx.deps);
    expect(received(seeded.email)).to.have.length(2);
  });

  it('two workers running at once send each reminder once', async () => {
    await activeSurvey(t.ctx, { key: 'remind-nps', rules: { reminder_after_days: 1 } });
    const seeded = [];
    for (let i = 0; i < 12; i++) seeded.push(await seedInvitation(t.ctx, { surveyKey: 'remind-nps' }));
    await runOnce(t.ctx.deps);
    expect(t.smtp.messages).to.have.length(12);
    t.ctx.clock.advance(DAY);
    const runs = await Promise.all([runOnce(t.ctx.deps), runOnce(t.ctx.deps), runOnce(t.ctx.deps)]);
    const sent = runs.flatMap((r) => r.reminders.sent).sort((a, b) => a - b);
    expect(sent).to.deep.equal(seeded.map((s) => s.invitationId).sort((a, b) => a - b));
    expect(t.smtp.messages).to.have.length(24);
    for (const s of seeded) expect(received(s.email).map((m) => m.parsed.subject)).to.deep.equal(['A quick question from Touchpoint', 'Reminder: A quick question from Touchpoint']);
  });

  it('does not count as an invitation for cooldowns and caps', async () => {
    const seeded = await sentInvitation({ days: 3 });
    const sentDay = t.ctx.clock.now().toISOString().slice(0, 10);
    t.ctx.clock.advance(3 * DAY);
    expect((await runOnce(t.ctx.deps)).reminders.sent).to.deep.equal([seeded.invitationId]);
    const reminderDay = t.ctx.clock.now().toISOString().slice(0, 10);
    t.ctx.clock.advance(HOUR);

    const res = await t.ctx.api
      .post('/api/v1/events')
      .send({ touchpoint: 'remind', transaction_id: 'after-reminder-1', customer: { email: seeded.email } })
      .expect(202);
    expect(res.body.status).to.equal('suppressed');
    expect(res.body.reason).to.equal('cooldown_global');
    expect(res.body.detail).to.contain(`last invitation ${sentDay}, 3 days ago`);
    expect(res.body.detail).not.to.contain(reminderDay);
    expect(res.body.detail).not.to.contain('less than a day ago');
    expect(await t.ctx.deps.db('invitations').where({ customer_id: seeded.customerId }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);

    // With the cooldowns off and a cap of 2, the one invitation (and its reminder) leave room for one more.
    await t.ctx.deps.db('settings').insert({
      key: 'contact_rules',
      value: JSON.stringify({
        cooldown_after_invitation_days: null,
        cooldown_after_response_days: null,
        cap: { count: 2, window_days: 90 },
        quiet_hours: null,
        survey_may_override: { cooldown_after_invitation: true, cooldown_after_response: true, quiet_hours: true },
      }),
    });
    await t.ctx.deps.db('surveys').update({ rules: JSON.stringify({ reminder_after_days: 3 }) });
    const capped = await t.ctx.api
      .post('/api/v1/events')
      .send({ touchpoint: 'remind', transaction_id: 'after-reminder-2', customer: { email: seeded.email } })
      .expect(202);
    expect(capped.body.status, JSON.stringify(capped.body)).to.equal('scheduled');
  });
});
