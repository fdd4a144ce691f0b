import { expect } from 'chai';
import { DAY, HOUR } from '../../server/clock.ts';
import { defaultSettings, type GlobalRules } from '../../server/settings/service.ts';
import type { CustomerState, DecisionInput, PrecisionInForce, RuleSurvey } from '../../server/eligibility/model.ts';
import { decide, importedWithoutSendDetail, linkOnlyDetail } from '../../server/eligibility/rules.ts';
import { detailIn, readDetail } from '../../server/eligibility/detail-words.ts';
import { catalogs, t } from '../../server/i18n/index.ts';

/**
 * Decision details in the page's language (issue 16): every detail the rules write, made by the rules
 * themselves, is read back into a catalogue key whose English is exactly the detail, and said in German.
 */
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
const at = (days: number) => new Date(now.getTime() + days * DAY);
/** A transaction sampled out at any rate below 99 %. */
const outOfSample = (() => {
  for (let i = 0; ; i++) {
    const d = decide(input({ transactionId: `tx-${i}`, survey: { ...survey, sample_rate: 99 } }));
    if (d.reason === 'sampled_out') return `tx-${i}`;
  }
})();
const withTarget = (precision: PrecisionInForce) => decide(input({ transactionId: outOfSample, survey: { ...survey, precision } }));
const target = { margin: '±5', period: 'May 2027' };

/** Every detail and note the rules write, from the rules. */
function written(): string[] {
  const details = [
    decide(input({ survey: null })),
    decide(input({ survey: { ...survey, channel: 'link' } })),
    decide(input({ recordOnly: true })),
    decide(input({ occurredAt: at(-10) })),
    decide(input({ occurredAt: at(-7.5) })),
    decide(input({ occurredAt: at(-1.5), survey: { ...survey, max_event_age_days: 1 } })),
    decide(input({ customer: { ...customer, email: 'nope' } })),
    decide(input({ customer: { ...customer, email: null } })),
    decide(input({ customer: { ...customer, email: null, erased_at: '2026-01-03T00:00:00Z' } })),
    decide(input({ customer: { ...customer, unsubscribed_at: '2026-01-01T00:00:00Z' } })),
    decide(input({ customer: { ...customer, unsubscribed_from_touchpoint_at: '2026-02-01T00:00:00Z' } })),
    decide(input({ customer: { ...customer, bounced_at: '2026-03-01T00:00:00Z' } })),
    decide(input({ transactionId: outOfSample, survey: { ...survey, sample_rate: 12.5 } })),
    withTarget({ ...target, rate: 23.5, state: 'on_track' }),
    withTarget({ ...target, rate: 0, state: 'met' }),
    withTarget({ margin: '±3 %', period: 'Q2 2027', rate: 50, state: 'short', segment: { name: 'region', value: 'north east' } }),
    withTarget({ margin: '±0.2', period: 'the week of 2027-05-03', rate: 80, state: 'learning' }),
    decide(input({ history: { invitations: [{ survey_id: 2, state: 'sent', at: at(-21) }], responses: [] } })),
    decide(input({ history: { invitations: [{ survey_id: 2, state: 'sent', at: at(-0.5) }], responses: [] } })),
    decide(input({ history: { invitations: [{ survey_id: 2, state: 'scheduled', at: at(3) }], responses: [] } })),
    decide(input({ history: { invitations: [{ survey_id: 2, state: 'scheduled', at: new Date(now.getTime() + HOUR) }], responses: [] } })),
    decide(input({ global: { ...global, cooldown_after_invitation_days: null, cooldown_after_response_days: 1 }, history: { invitations: [], responses: [{ survey_id: 2, at: at(-0.5) }] } })),
    decide(input({ global: { ...global, cooldown_after_invitation_days: null }, history: { invitations: [{ survey_id: 1, state: 'sent', at: at(-40) }], responses: [] } })),
    decide(input({ global: { ...global, cooldown_after_invitation_days: null }, history: { invitations: [], responses: [{ survey_id: 1, at: at(-1) }] } })),
    decide(input({ global: { ...global, cooldown_after_invitation_days: null, cap: { count: 1, window_days: 30 } }, survey: { ...survey, rules: {} }, history: { invitations: [{ survey_id: 2, state: 'sent', at: at(-40) }, { survey_id: 2, state: 'sent', at: at(-10) }], responses: [] } })),
  ].map((d) => d.detail!);
  for (const [i, d] of details.entries()) expect(d, `scenario ${i} is refused`).to.be.a('string');
  const notes = [
    // A survey's own global cooldown and quiet hours where the settings do not allow them; quiet hours move the send; an unknown zone.
    decide(input({
      now: new Date('2026-11-23T22:00:00Z'),
      occurredAt: new Date('2026-11-23T22:00:00Z'),
      global: { ...global, survey_may_override: { ...global.survey_may_override, cooldown_after_invitation: false, quiet_hours: false } },
      survey: { ...survey, rules: { ...survey.rules, global_cooldown_after_invitation_days: 5, quiet_hours: { start: '08:00', end: '18:00' } } },
      customer: { ...customer, time_zone: 'Mars/Olympus' },
    })).notes.join('; '),
  ];
  return [...details, ...notes, linkOnlyDetail('returns-nps'), importedWithoutSendDetail, 'no_active_survey: invitation 1234 does not exist', 'no_active_survey: the survey returns-nps is paused', 'no_active_survey: the survey is gone'];
}

describe('decision details in the page\'s language', () => {
  const details = written();

  it('reads every detail the rules write back into catalogue keys whose English is the detail itself', () => {
    expect(details.length).to.be.at.least(30);
    for (const detail of details) {
      const parts = readDetail(detail);
      expect(parts, detail).to.not.equal(null);
      expect(parts!.map((p) => t('en', p.key, p.values)).join('; '), detail).to.equal(detail);
    }
  });

  it('says each in German, with no English sentence left', () => {
    const german = details.map((d) => detailIn('de', d));
    for (const [i, text] of german.entries()) {
      expect(text, details[i]).to.not.equal(details[i]);
      expect(text, details[i]).to.not.match(/\b(the|days?|ago|rule|invitations?|sample rate|is met)\b/);
    }
    expect(detailIn('de', 'cooldown_global: last invitation 2026-11-02, 21 days ago; rule: 30 days')).to.equal('cooldown_global: letzte Einladung 2026-11-02, vor 21 Tagen; Regel: 30 Tage');
    expect(detailIn('de', details[13])).to.match(/^sampled_out: das Ziel ±5 für Mai 2027 wird mit einer Stichprobe von 23.5 % erreicht; diese Transaktion liegt bei [\d.]+ %$/);
  });

  it('leaves English, and a text no form knows, as it is', () => {
    expect(detailIn('en', details[0])).to.equal(details[0]);
    expect(detailIn('de', 'something the rules never wrote')).to.equal('something the rules never wrote');
    expect(detailIn('de', null)).to.equal('');
  });

  it('has a form for every detail key of the catalogue', () => {
    const keys = Object.keys(catalogs.en).filter((k) => k.startsWith('detail.') && !['detail.target', 'detail.target_segment', 'detail.period_week', 'detail.period_quarter'].includes(k));
    const read = new Set(details.flatMap((d) => readDetail(d)!.map((p) => p.key)));
    expect(keys.filter((k) => !read.has(k) && k !== 'detail.test_event')).to.deep.equal([]);
  });
});
