// Emails handed to a local SMTP receiver per second: the real worker pass (runUntilDone: claim after claim,
// the next claimed while the last rows are sent; recheck the contact rules, render, send through the pooled
// nodemailer transport, record) over due invitations, with
// MAIL_RATE_PER_SECOND at its maximum so the rate limiter is not what is measured. The receiver is
// test/helpers/smtp.ts on loopback. Floor: bare nodemailer sends of the same message, over the same pool size.
import nodemailer from 'nodemailer';
import { loadConfig } from '../../server/config.ts';
import { createTransport } from '../../server/mail/transports.ts';
import { runUntilDone } from '../../server/sending/worker.ts';
import { CLAIM_BATCH } from '../../server/sending/service.ts';
import { MINUTE } from '../../server/clock.ts';
import { silentLog } from '../../server/log.ts';
import type { Deps } from '../../server/deps.ts';
import { startSmtpReceiver } from '../helpers/smtp.ts';
import { NOW, drive, log, rateRow, throughputBeside, warmUp, type Row } from './common.ts';
import { seedInvitations } from './seed.ts';
import type { Bench } from './setup.ts';

/** The worker's pool: as many connections as the transport opens (server/delivery/transports.ts). */
const POOL = 5;

export async function benchEmails(bench: Bench, options: { emails: number; rounds: number }): Promise<Row[]> {
  const perRound = Math.max(1, Math.floor(options.emails / options.rounds));
  const warm = warmUp(perRound);
  const total = perRound * options.rounds + warm;
  const receiver = await startSmtpReceiver();
  const smtpUrl = `smtp://127.0.0.1:${receiver.port}`;
  // SMTP_URL to the receiver, MAIL_RATE_PER_SECOND at the most the configuration allows.
  const rateConfig = loadConfig({ SMTP_URL: smtpUrl, MAIL_RATE_PER_SECOND: '10000', SESSION_SECRET: bench.deps.config.sessionSecret, LOG_LEVEL: 'silent' });
  const config = { ...bench.deps.config, smtpUrl: rateConfig.smtpUrl, mailRatePerSecond: rateConfig.mailRatePerSecond };
  const deps: Deps = { ...bench.deps, config, mail: createTransport(config, bench.db, silentLog) };

  // Customers of their own, with no past, so the recheck before sending lets every invitation go.
  const at = NOW.toISOString();
  const firstId = await (async () => {
    const ids: number[] = [];
    for (let from = 0; from < total; from += 500) {
      const rows = Array.from({ length: Math.min(500, total - from) }, (_x, k) => ({
        external_id: `mail-${from + k}`,
        email: `mail.${from + k}@example.com`,
        name: `Mail Customer ${from + k}`,
        locale: (from + k) % 3 ? 'en' : 'de',
        properties: '{}',
        created_at: at,
        updated_at: at,
      }));
      const inserted = await bench.db('customers').insert(rows).returning('id');
      ids.push(...inserted.map((r: unknown) => Number(typeof r === 'object' && r !== null ? (r as { id: number }).id : r)));
    }
    return ids;
  })();
  // The warm-up's rows are due now, each round's a minute later than the round before: the clock moves to
  // a round's minute when it starts, so a run finds that round's rows due and no others.
  const measured = perRound * options.rounds;
  const dueAt = (i: number) => new Date(NOW.getTime() + (i >= measured ? -MINUTE : Math.floor(i / perRound) * MINUTE + MINUTE));
  await seedInvitations(
    bench,
    'emails',
    firstId.map((customerId, i) => ({ customerId, surveyIndex: i % bench.surveys.length, state: 'scheduled' as const, at: dueAt(i) })),
  );

  const floorTransport = nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, pool: true, maxConnections: POOL, maxMessages: 1000, ignoreTLS: true });
  let template: { subject: string; html: string; text: string } | undefined;
  let sent = 0;
  log(`emails through the worker (runOnce) to a local SMTP receiver: ${options.rounds} rounds of ${perRound.toLocaleString('en')} …`);
  const rate = await throughputBeside(
    options.rounds,
    perRound,
    async (from, count) => {
      bench.clock.set(new Date(dueAt(from).getTime() + 1000));
      const result = await runUntilDone(deps, { batch: CLAIM_BATCH });
      if (result.claimed !== count || result.sent.length !== count) {
        throw new Error(`the worker claimed ${result.claimed} and sent ${result.sent.length} of ${count}: ${JSON.stringify({ ...result, sent: undefined })}`);
      }
      sent += result.sent.length;
      const first = receiver.messages[0];
      template ??= { subject: first.parsed.subject ?? '', html: first.parsed.html ?? '', text: first.parsed.text ?? '' };
      receiver.messages.length = 0;
    },
    async (from, count) => {
      const mail = template!;
      await drive(count, POOL, (i) =>
        floorTransport.sendMail({ from: 'Touchpoint <feedback@localhost>', to: `floor.${from + i}@example.com`, subject: mail.subject, html: mail.html, text: mail.text }),
      );
      receiver.messages.length = 0;
    },
    warm,
  );
  bench.clock.set(NOW);
  log(`  ${sent.toLocaleString('en')} invitations sent by the worker`);
  floorTransport.close();
  await deps.mail.close();
  await receiver.close();
  return [rateRow(bench.kind, await bench.responseCount(), 'worker → local SMTP receiver (emails/s)', `bare nodemailer send, pool of ${POOL}`, rate)];
}
