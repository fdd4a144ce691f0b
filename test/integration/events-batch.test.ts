import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { BATCH_CHUNK } from '../../server/events/batch.ts';
import { toCount } from '../../server/db/dialect.ts';
import { getSettings, updateSettings } from '../../server/settings/service.ts';

/**
 * A batch stores its events in chunks of BATCH_CHUNK per transaction: every event must be decided exactly as
 * it would be alone, in order (a customer's later event sees the earlier ones: cooldowns, the cap), a bad
 * event in the middle refused with its index and the rest taken, a repeat answered as such.
 */
describe('events API: a batch decides each event as one at a time would', function () {
  this.timeout(120_000);
  const batched = withTestContext();
  const single = withTestContext();
  const SIZE = BATCH_CHUNK * 2 + 57;

  /** The same events for both: 60 customers seen again and again (cooldowns, the sample rate), a bad one, a repeat. */
  const events = Array.from({ length: SIZE }, (_, i) => {
    if (i === BATCH_CHUNK + 3) return { touchpoint: 'delivery', transaction_id: `t-${i}` }; // no customer: invalid
    if (i === BATCH_CHUNK * 2 + 10) return { touchpoint: 'delivery', transaction_id: 't-7', customer: { id: 'c-7', email: 'c-7@example.com' } }; // a repeat of event 7
    if (i % 97 === 0) return { touchpoint: 'nowhere', transaction_id: `t-${i}`, customer: { id: 'c-1', email: 'c-1@example.com' } }; // unknown touchpoint
    const customer = `c-${i % 60}`;
    return { touchpoint: i % 3 ? 'delivery' : 'sampled', transaction_id: `t-${i}`, customer: { id: customer, email: `${customer}@example.com` }, properties: { region: i % 2 ? 'north' : 'south' } };
  });

  before(async () => {
    for (const ctx of [batched, single]) {
      ctx.clock.set('2026-11-23T10:00:00Z');
      await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active', rules: { cooldown_after_invitation_days: 0, cooldown_after_response_days: 0 } }).expect(201);
      await ctx.api.post('/api/v1/surveys').send({ key: 'sampled-nps', touchpoint: 'sampled', metric: 'nps', status: 'active', sample_rate: 50 }).expect(201);
    }
    // A rolling cap, so a customer's later events in the batch depend on the earlier ones.
    for (const ctx of [batched, single]) {
      const settings = await getSettings(ctx.deps.db);
      await updateSettings(ctx.deps.db, { contact_rules: { ...settings.contact_rules, cooldown_after_invitation_days: 0, cooldown_after_response_days: 0, cap: { count: 3, window_days: 30 } } });
    }
  });

  it(`takes ${SIZE} events in chunks: the same decisions, in order, as sent one by one; the bad ones refused by index`, async () => {
    const res = await batched.api.post('/api/v1/events/batch').send({ events }).expect(200);
    const results = res.body.results as Record<string, unknown>[];
    expect(results.map((r) => r.index)).to.deep.equal(events.map((_, i) => i));

    const alone: Record<string, unknown>[] = [];
    for (const body of events) {
      const one = await single.api.post('/api/v1/events').send(body);
      alone.push(one.status === 422 ? { status: 'invalid', field: one.body.errors?.[0]?.field } : { status: one.body.status, reason: one.body.reason ?? null, duplicate: one.status === 200 });
    }
    const shape = (r: Record<string, unknown>) =>
      r.status === 'invalid' ? { status: 'invalid', field: (r.errors as { field: string }[])[0].field } : { status: r.status, reason: r.reason ?? null, duplicate: r.duplicate === true };
    expect(results.map(shape)).to.deep.equal(alone);

    // The decisions are not all alike: the cap and the sample rate refused some, and the repeat was one.
    const reasons = new Set(results.map((r) => r.reason).filter(Boolean));
    expect([...reasons]).to.include.members(['cap_window', 'sampled_out']);
    expect(results[BATCH_CHUNK + 3]).to.deep.include({ status: 'invalid' });
    expect(results[BATCH_CHUNK * 2 + 10]).to.deep.include({ duplicate: true, id: results[7].id });

    // Everything it answered is stored, once.
    const stored = toCount((await batched.deps.db('events').count({ n: '*' }).first())?.n);
    expect(stored).to.equal(results.filter((r) => r.status !== 'invalid' && !r.duplicate).length);
  });
});
