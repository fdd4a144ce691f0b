import { expect } from 'chai';
import { DAY } from '../../server/clock.ts';
import { checkFrequency, nextAllowedAt } from '../../server/eligibility/frequency.ts';
import type { EffectiveRules, History } from '../../server/eligibility/model.ts';

const now = new Date('2026-11-23T10:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * DAY);
const rules: EffectiveRules = {
  globalAfterInvitationDays: 30,
  globalAfterResponseDays: 60,
  surveyAfterInvitationDays: 90,
  surveyAfterResponseDays: null,
  cap: { count: 2, window_days: 120 },
  quietHours: null,
};

describe('nextAllowedAt: when a customer may be invited again', () => {
  it('is now (null) with no history', () => {
    const next = nextAllowedAt(rules, 1, { invitations: [], responses: [] }, now);
    expect(next.at).to.equal(null);
    expect(next.waits).to.deep.equal([]);
    expect(checkFrequency(rules, 1, { invitations: [], responses: [] }, now)).to.equal(null);
  });

  it('is the latest end among every rule that holds, and the decision refuses for the first of them', () => {
    const history: History = {
      invitations: [
        { survey_id: 1, state: 'sent', at: daysAgo(10) },
        { survey_id: 2, state: 'sent', at: daysAgo(100) },
      ],
      responses: [{ survey_id: 2, at: daysAgo(50) }],
    };
    const next = nextAllowedAt(rules, 1, history, now);
    expect(next.waits.map((w) => (w.reason === 'cap_window' ? w.reason : `${w.reason}/${w.after}`))).to.deep.equal([
      'cooldown_global/invitation',
      'cooldown_global/response',
      'cooldown_survey/invitation',
      'cap_window',
    ]);
    // Survey cooldown: 90 days after the invitation 10 days ago, the latest of all (global 20 days, response 10, cap 20).
    expect(next.at?.toISOString()).to.equal(new Date(daysAgo(10).getTime() + 90 * DAY).toISOString());
    expect(checkFrequency(rules, 1, history, now)?.reason).to.equal('cooldown_global');
  });

  it('counts the global rules only without a survey, and the cap has room once the older of the newest two leaves', () => {
    const history: History = {
      invitations: [
        { survey_id: 1, state: 'sent', at: daysAgo(40) },
        { survey_id: 1, state: 'sent', at: daysAgo(100) },
        { survey_id: 1, state: 'sent', at: daysAgo(110) },
      ],
      responses: [],
    };
    const next = nextAllowedAt(rules, null, history, now);
    expect(next.waits.map((w) => w.reason)).to.deep.equal(['cap_window']);
    expect(next.at?.toISOString()).to.equal(new Date(daysAgo(100).getTime() + 120 * DAY).toISOString());
    expect(checkFrequency(rules, 9, history, now)?.detail).to.equal('cap_window: 3 invitations since 2026-07-26; rule: at most 2 in 120 days');
  });

  it('allows again exactly when a cooldown ends', () => {
    const history: History = { invitations: [{ survey_id: 3, state: 'sent', at: daysAgo(30) }], responses: [] };
    expect(nextAllowedAt({ ...rules, cap: null }, 1, history, now).at).to.equal(null);
    expect(nextAllowedAt({ ...rules, cap: null }, 1, history, new Date(now.getTime() - 1)).at?.toISOString()).to.equal(now.toISOString());
  });
});
