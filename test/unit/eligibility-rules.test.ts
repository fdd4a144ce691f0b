import { expect } from 'chai';
import { DAY, MINUTE } from '../../server/clock.ts';
import { defaultSettings, type GlobalRules } from '../../server/settings/service.ts';
import type { CustomerState, DecisionInput, RuleSurvey } from '../../server/eligibility/model.ts';
import { decide, importedWithoutSendDetail, isEmailAddress, sampleBucket } from '../../server/eligibility/rules.ts';
import { suppressionReasons } from '../../server/eligibility/reasons.ts';
import { intoQuietHoursWindow } from '../../server/eligibility/quiet-hours.ts';

const now = new Date('2026-11-23T10:00:00Z');
const survey: RuleSurvey = { id: 1, key: 'delivery-nps', status: 'active', rules: { cooldown_after_invitation_days: 90, cooldown_after_response_days: 90 }, sample_rate: 100, send_delay_minutes: 0 };
const customer: CustomerState = { email: 'ann@example.com', time_zone: null, unsubscribed_at: null, bounced_at: null, erased_at: null, unsubscribed_from_touchpoint_at: null };
const global: GlobalRules = defaultSettings.contact_rules;

const input = (over: Partial<DecisionInput> = {}): DecisionInput => ({
  now,
  occurredAt: now,
  transactionId: 'tx-1',
  survey,
  global,
  reportingTimeZone: 'UTC',
  customer,
  history: { invitations: [], responses: [] },
  ...over,
});
const ago = (days: number) => new Date(now.getTime() - days * DAY);

describe('eligibility rules (pure)', () => {
  it('schedules a clean event at once inside quiet hours', () => {
    const d = decide(input());
    expect(d.status).to.equal('scheduled');
    expect(d.sendAt?.toISOString()).to.equal('2026-11-23T10:00:00.000Z');
    expect(d.notes).to.deep.equal([]);
  });

  it('checks in the documented order: the first failure names the decision', () => {
    const everythingWrong = input({
      survey: { ...survey, sample_rate: 0 },
      customer: { ...customer, unsubscribed_at: '2026-01-01T00:00:00Z', bounced_at: '2026-01-02T00:00:00Z' },
      history: { invitations: [{ survey_id: 1, state: 'sent', at: ago(1) }], responses: [] },
    });
    expect(decide({ ...everythingWrong, survey: null }).reason).to.equal('no_active_survey');
    expect(decide({ ...everythingWrong, survey: { ...survey, status: 'paused' } }).reason).to.equal('no_active_survey');
    expect(decide({ ...everythingWrong, customer: { ...everythingWrong.customer, email: 'nope' } }).reason).to.equal('invalid_contact');
    expect(decide({ ...everythingWrong, customer: { ...everythingWrong.customer, erased_at: '2026-01-03T00:00:00Z', email: null } }).reason).to.equal('erased');
    expect(decide(everythingWrong).reason).to.equal('unsubscribed');
    expect(decide({ ...everythingWrong, customer: { ...everythingWrong.customer, unsubscribed_at: null } }).reason).to.equal('bounced');
    const reachable = { ...everythingWrong, customer };
    expect(decide(reachable).reason).to.equal('sampled_out');
    expect(decide({ ...reachable, survey }).reason).to.equal('cooldown_global');
  });

  it('lists the reasons in the order DESIGN.md gives', () => {
    expect(suppressionReasons).to.deep.equal([
      'duplicate_event',
      'no_active_survey',
      'too_old',
      'invalid_contact',
      'erased',
      'unsubscribed',
      'bounced',
      'sampled_out',
      'cooldown_global',
      'cooldown_survey',
      'cap_window',
    ]);
  });

  describe('maximum event age (too_old)', () => {
    it('is checked right after no_active_survey, before every customer and frequency rule', () => {
      const everythingWrong = input({
        occurredAt: ago(30),
        survey: { ...survey, sample_rate: 0 },
        customer: { ...customer, email: 'nope', unsubscribed_at: '2026-01-01T00:00:00Z', bounced_at: '2026-01-02T00:00:00Z' },
        history: { invitations: [{ survey_id: 1, state: 'sent', at: ago(1) }], responses: [] },
      });
      expect(decide({ ...everythingWrong, survey: null }).reason).to.equal('no_active_survey');
      expect(decide({ ...everythingWrong, survey: { ...survey, status: 'paused' } }).reason).to.equal('no_active_survey');
      expect(decide({ ...everythingWrong, survey: { ...survey, channel: 'link' } }).reason).to.equal('no_active_survey');
      expect(decide(everythingWrong).reason).to.equal('too_old');
      expect(decide({ ...everythingWrong, customer: { ...customer, erased_at: '2026-01-03T00:00:00Z', email: null } }).reason).to.equal('too_old');
      // The same event, recent: the next rule in the order names it.
      expect(decide({ ...everythingWrong, occurredAt: ago(1) }).reason).to.equal('invalid_contact');
    });

    it('names the age and the limit', () => {
      const d = decide(input({ occurredAt: ago(45) }));
      expect(d).to.include({ status: 'suppressed', reason: 'too_old' });
      expect(d.detail).to.equal('too_old: the event occurred 45 days ago (2026-10-09); this survey asks about events up to 7 days old');
      const own = decide(input({ occurredAt: ago(31), survey: { ...survey, max_event_age_days: 30 } }));
      expect(own.detail).to.equal('too_old: the event occurred 31 days ago (2026-10-23); this survey asks about events up to 30 days old');
      const one = decide(input({ occurredAt: ago(3), survey: { ...survey, max_event_age_days: 1 } }));
      expect(one.detail).to.equal('too_old: the event occurred 3 days ago (2026-11-20); this survey asks about events up to 1 day old');
    });

    it('takes exactly the limit and refuses a millisecond more (default 7 days when the survey does not say)', () => {
      expect(decide(input({ occurredAt: ago(7) })).status).to.equal('scheduled');
      const justOver = decide(input({ occurredAt: new Date(ago(7).getTime() - 1) }));
      expect(justOver.reason).to.equal('too_old');
      expect(justOver.detail).to.match(/^too_old: the event occurred more than 7 days ago \(2026-11-16\)/);
      expect(decide(input({ occurredAt: ago(8), survey: { ...survey, max_event_age_days: 7 } })).reason).to.equal('too_old');
      expect(decide(input({ occurredAt: ago(29), survey: { ...survey, max_event_age_days: 30 } })).status).to.equal('scheduled');
    });

    it('surveys events of any age when the survey sets no limit (null), and events dated ahead are never too old', () => {
      expect(decide(input({ occurredAt: ago(3 * 365), survey: { ...survey, max_event_age_days: null } })).status).to.equal('scheduled');
      expect(decide(input({ occurredAt: new Date(now.getTime() + 2 * DAY), survey: { ...survey, max_event_age_days: 1 } })).status).to.equal('scheduled');
    });

    it('records an event from an import without --send as too_old, fresh or not, unless no_active_survey comes first', () => {
      const d = decide(input({ recordOnly: true }));
      expect(d).to.include({ status: 'suppressed', reason: 'too_old', detail: importedWithoutSendDetail });
      expect(d.detail).to.match(/^too_old: imported without --send/);
      expect(decide(input({ recordOnly: true, survey: { ...survey, max_event_age_days: null } })).reason).to.equal('too_old');
      expect(decide(input({ recordOnly: true, survey: null })).reason).to.equal('no_active_survey');
      expect(decide(input({ recordOnly: true, survey: { ...survey, channel: 'link' } })).reason).to.equal('no_active_survey');
      expect(decide(input({ recordOnly: false })).status).to.equal('scheduled');
    });
  });

  it('never schedules an email for a survey answered by web link only', () => {
    const linkOnly = decide(input({ survey: { ...survey, channel: 'link' } }));
    expect(linkOnly).to.include({ status: 'suppressed', reason: 'no_active_survey' });
    expect(linkOnly.detail).to.include('web link only');
    expect(decide(input({ survey: { ...survey, channel: 'email' } })).status).to.equal('scheduled');
  });

  it('tells email addresses from other text', () => {
    for (const ok of ['a@b.co', 'first.last+tag@example.co.uk', 'Ünïcode@exämple.de']) expect(isEmailAddress(ok), ok).to.equal(true);
    for (const bad of ['', 'a@b', 'a b@c.de', '@c.de', 'a@@c.de', null]) expect(isEmailAddress(bad), String(bad)).to.equal(false);
  });

  describe('global cooldown after an invitation (30 days)', () => {
    const last = (days: number) => input({ history: { invitations: [{ survey_id: 2, state: 'sent', at: ago(days) }], responses: [] } });
    it('suppresses 21 days later, stating the numbers', () => {
      const d = decide(last(21));
      expect(d).to.include({ status: 'suppressed', reason: 'cooldown_global' });
      expect(d.detail).to.equal('cooldown_global: last invitation 2026-11-02, 21 days ago; rule: 30 days');
    });
    it('suppresses a millisecond before 30 days and allows exactly 30 days later', () => {
      const justBefore = input({ history: { invitations: [{ survey_id: 2, state: 'sent', at: new Date(ago(30).getTime() + 1) }], responses: [] } });
      expect(decide(justBefore).reason).to.equal('cooldown_global');
      expect(decide(last(30)).status).to.equal('scheduled');
    });
    it('counts an invitation that is only scheduled, even for later', () => {
      const d = decide(input({ history: { invitations: [{ survey_id: 2, state: 'scheduled', at: new Date(now.getTime() + 3 * DAY) }], responses: [] } }));
      expect(d.reason).to.equal('cooldown_global');
      expect(d.detail).to.match(/planned in 3 days/);
    });
    it('is off when the rule is null', () => {
      const off = { ...global, cooldown_after_invitation_days: null };
      expect(decide({ ...last(1), global: off, survey: { ...survey, rules: {} } }).status).to.equal('scheduled');
    });
    it('ignores a survey\'s looser rule unless the settings allow it', () => {
      const looser = { ...survey, rules: { global_cooldown_after_invitation_days: 7 } };
      const denied = decide({ ...last(10), survey: looser });
      expect(denied.reason).to.equal('cooldown_global');
      expect(denied.notes.join()).to.match(/ignored/);
      const allowed = { ...global, survey_may_override: { ...global.survey_may_override, cooldown_after_invitation: true } };
      expect(decide({ ...last(10), survey: looser, global: allowed }).status).to.equal('scheduled');
    });
  });

  it('applies the global cooldown after a response when it is set', () => {
    const rules = { ...global, cooldown_after_invitation_days: null, cooldown_after_response_days: 14 };
    const history = { invitations: [], responses: [{ survey_id: 9, at: ago(13) }] };
    const d = decide(input({ global: rules, history }));
    expect(d.reason).to.equal('cooldown_global');
    expect(d.detail).to.equal('cooldown_global: last response 2026-11-10, 13 days ago; rule: 14 days after a response');
    expect(decide(input({ global: rules, history: { invitations: [], responses: [{ survey_id: 9, at: ago(14) }] } })).status).to.equal('scheduled');
  });

  it('applies the survey\'s own cooldowns to its own invitations and responses only', () => {
    const noGlobal = { ...global, cooldown_after_invitation_days: null };
    const own = { invitations: [{ survey_id: 1, state: 'responded', at: ago(60) }], responses: [] };
    expect(decide(input({ global: noGlobal, history: own })).reason).to.equal('cooldown_survey');
    const other = { invitations: [{ survey_id: 2, state: 'sent', at: ago(60) }], responses: [] };
    expect(decide(input({ global: noGlobal, history: other })).status).to.equal('scheduled');
    const answered = { invitations: [], responses: [{ survey_id: 1, at: ago(89) }] };
    expect(decide(input({ global: noGlobal, history: answered })).detail).to.match(/^cooldown_survey: last response to this survey/);
  });

  it('caps at K invitations in any window of W days', () => {
    const rules = { ...global, cooldown_after_invitation_days: null, cap: { count: 3, window_days: 90 } };
    const other = { ...survey, rules: {} };
    const at = (days: number[]) => ({ invitations: days.map((d, i) => ({ survey_id: 10 + i, state: 'sent', at: ago(d) })), responses: [] });
    const capped = decide(input({ global: rules, survey: other, history: at([10, 40, 89]) }));
    expect(capped.reason).to.equal('cap_window');
    expect(capped.detail).to.equal('cap_window: 3 invitations since 2026-08-25; rule: at most 3 in 90 days');
    expect(decide(input({ global: rules, survey: other, history: at([10, 40, 90]) })).status).to.equal('scheduled');
    expect(decide(input({ global: rules, survey: other, history: at([10, 40]) })).status).to.equal('scheduled');
  });

  describe('sampling', () => {
    it('decides the same for the same survey and transaction id', () => {
      expect(sampleBucket('a', 'tx-9')).to.equal(sampleBucket('a', 'tx-9'));
      expect(sampleBucket('a', 'tx-9')).to.be.within(0, 100);
    });
    it('takes about the sample rate of transactions', () => {
      const half = { ...survey, sample_rate: 50 };
      let kept = 0;
      for (let i = 0; i < 2000; i++) if (decide(input({ survey: half, transactionId: `t${i}` })).status === 'scheduled') kept++;
      expect(kept).to.be.within(850, 1150);
      expect(decide(input({ survey: { ...survey, sample_rate: 0 } })).reason).to.equal('sampled_out');
    });
  });

  describe('send time and quiet hours', () => {
    const window = { start: '09:00', end: '20:00' };
    it('adds the delay to the later of now and occurred_at', () => {
      const d = decide(input({ survey: { ...survey, send_delay_minutes: 90 }, occurredAt: new Date(now.getTime() + 60 * MINUTE) }));
      expect(d.sendAt?.toISOString()).to.equal('2026-11-23T12:30:00.000Z');
      const past = decide(input({ survey: { ...survey, send_delay_minutes: 90 }, occurredAt: ago(2) }));
      expect(past.sendAt?.toISOString()).to.equal('2026-11-23T11:30:00.000Z');
    });
    it('moves an evening send to 09:00 the next morning in the customer\'s zone', () => {
      const d = decide(input({ now: new Date('2026-11-23T19:30:00Z'), occurredAt: new Date('2026-11-23T19:30:00Z'), customer: { ...customer, time_zone: 'Europe/Berlin' } }));
      expect(d.sendAt?.toISOString()).to.equal('2026-11-24T08:00:00.000Z');
      expect(d.notes[0]).to.match(/quiet hours 09:00–20:00 Europe\/Berlin/);
    });
    it('is inclusive at the start and exclusive at the end', () => {
      expect(intoQuietHoursWindow(new Date('2026-11-23T09:00:00Z'), window, 'UTC').toISOString()).to.equal('2026-11-23T09:00:00.000Z');
      expect(intoQuietHoursWindow(new Date('2026-11-23T19:59:59Z'), window, 'UTC').toISOString()).to.equal('2026-11-23T19:59:59.000Z');
      expect(intoQuietHoursWindow(new Date('2026-11-23T20:00:00Z'), window, 'UTC').toISOString()).to.equal('2026-11-24T09:00:00.000Z');
      expect(intoQuietHoursWindow(new Date('2026-11-23T08:59:59Z'), window, 'UTC').toISOString()).to.equal('2026-11-23T09:00:00.000Z');
    });
    it('takes the calendar day in the customer\'s zone around midnight', () => {
      // 23:30 UTC is 00:30 on the next day in Berlin (winter): today's 09:00 there, not tomorrow's.
      expect(intoQuietHoursWindow(new Date('2026-11-23T23:30:00Z'), window, 'Europe/Berlin').toISOString()).to.equal('2026-11-24T08:00:00.000Z');
      // 04:30 UTC is 23:30 the day before in New York: the next 09:00 there is 14:00 UTC.
      expect(intoQuietHoursWindow(new Date('2026-11-24T04:30:00Z'), window, 'America/New_York').toISOString()).to.equal('2026-11-24T14:00:00.000Z');
      // Tokyo is already past 20:00 at 11:30 UTC.
      expect(intoQuietHoursWindow(new Date('2026-11-23T11:30:00Z'), window, 'Asia/Tokyo').toISOString()).to.equal('2026-11-24T00:00:00.000Z');
    });
    it('is DST-safe on the nights Europe/Berlin changes its clocks', () => {
      // Spring forward, 29 March 2026: 02:00 becomes 03:00; 09:00 is then UTC+2.
      expect(intoQuietHoursWindow(new Date('2026-03-28T23:30:00Z'), window, 'Europe/Berlin').toISOString()).to.equal('2026-03-29T07:00:00.000Z');
      // Fall back, 25 October 2026: 03:00 becomes 02:00; 09:00 is then UTC+1.
      expect(intoQuietHoursWindow(new Date('2026-10-24T21:00:00Z'), window, 'Europe/Berlin').toISOString()).to.equal('2026-10-25T08:00:00.000Z');
      // A window that starts inside the skipped hour starts when the clock reaches it.
      const night = { start: '02:30', end: '05:00' };
      expect(intoQuietHoursWindow(new Date('2026-03-28T12:00:00Z'), night, 'Europe/Berlin').toISOString()).to.equal('2026-03-29T01:30:00.000Z');
    });
    it('handles a window across midnight', () => {
      const overnight = { start: '22:00', end: '06:00' };
      expect(intoQuietHoursWindow(new Date('2026-11-23T23:00:00Z'), overnight, 'UTC').toISOString()).to.equal('2026-11-23T23:00:00.000Z');
      expect(intoQuietHoursWindow(new Date('2026-11-23T03:00:00Z'), overnight, 'UTC').toISOString()).to.equal('2026-11-23T03:00:00.000Z');
      expect(intoQuietHoursWindow(new Date('2026-11-23T12:00:00Z'), overnight, 'UTC').toISOString()).to.equal('2026-11-23T22:00:00.000Z');
    });
    it('falls back to the reporting zone for an unknown zone, with a note, never an error', () => {
      const d = decide(input({ now: new Date('2026-11-23T06:00:00Z'), occurredAt: new Date('2026-11-23T06:00:00Z'), reportingTimeZone: 'Europe/Berlin', customer: { ...customer, time_zone: 'Not/AZone' } }));
      expect(d.status).to.equal('scheduled');
      expect(d.sendAt?.toISOString()).to.equal('2026-11-23T08:00:00.000Z');
      expect(d.notes.join()).to.match(/"Not\/AZone" is unknown; used Europe\/Berlin/);
    });
    it('uses the survey\'s quiet hours where allowed, and none when it turns them off', () => {
      const late = new Date('2026-11-23T21:00:00Z');
      const off = decide(input({ now: late, occurredAt: late, survey: { ...survey, rules: { quiet_hours: null } } }));
      expect(off.sendAt?.toISOString()).to.equal(late.toISOString());
      const noOverride = { ...global, survey_may_override: { ...global.survey_may_override, quiet_hours: false } };
      const kept = decide(input({ now: late, occurredAt: late, global: noOverride, survey: { ...survey, rules: { quiet_hours: null } } }));
      expect(kept.sendAt?.toISOString()).to.equal('2026-11-24T09:00:00.000Z');
    });
  });

  it('starts a quiet-hours window that a daylight-saving jump skips on the day after', () => {
    // 2026-03-29, Europe/Berlin: 02:00–03:00 does not exist.
    const moved = intoQuietHoursWindow(new Date('2026-03-28T23:00:00Z'), { start: '02:00', end: '02:30' }, 'Europe/Berlin');
    expect(moved.toISOString()).to.equal('2026-03-30T00:00:00.000Z');
  });
});
