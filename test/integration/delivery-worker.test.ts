import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.ts';
import { startWorker } from '../../server/jobs.ts';

/** Polls until `check` holds (no timing assertion: only a generous upper bound). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

describe('delivery worker loop', () => {
  let smtp: SmtpReceiver;
  before(async () => {
    smtp = await startSmtpReceiver();
  });
  const ctx = withTestContext(() => ({
    env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_RATE_PER_SECOND: '1000', WORKER_INTERVAL_MS: '50' },
  }));
  after(async () => smtp?.close());

  it('sends due invitations on its own, run after run, and stops cleanly', async () => {
    const first = await seedInvitation(ctx, {});
    const worker = startWorker(ctx.deps);
    try {
      const isSent = async (id: number) => (await ctx.deps.db('invitations').where({ id }).first()).state === 'sent';
      await eventually(() => isSent(first.invitationId), 'the first invitation sent');
      const second = await seedInvitation(ctx, {});
      await eventually(() => isSent(second.invitationId), 'the second invitation sent');
      expect(smtp.messages.filter((m) => m.to.includes(second.email))).to.have.length(1);
    } finally {
      await worker.stop();
    }
    // Stopped: a new invitation stays where it is.
    const third = await seedInvitation(ctx, {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await ctx.deps.db('invitations').where({ id: third.invitationId }).first()).state).to.equal('scheduled');
    expect(smtp.messages.filter((m) => m.to.includes(first.email))).to.have.length(1);
  });
});
