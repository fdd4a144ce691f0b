import { expect } from 'chai';
import { actionSentence, actorText, sentences } from '../../server/audit-log/sentences.ts';
import type { AuditRow } from '../../server/audit-log/queries.ts';

/** How the Audit page words each line (server/audit/sentences.ts). */

type RowInput = Omit<Partial<AuditRow>, 'detail'> & { detail?: Record<string, unknown> | string };

const row = (over: RowInput): AuditRow => ({
  id: 1,
  at: '2026-11-23T10:00:00.000Z',
  actor_type: 'user',
  actor_id: 1,
  actor_label: 'admin@example.com',
  action: 'x.y',
  target_type: null,
  target_id: null,
  target_label: null,
  ip: '203.0.113.1',
  ...over,
  detail: typeof over.detail === 'string' ? over.detail : JSON.stringify(over.detail ?? {}),
});

const user = (email: string) => ({ target_type: 'user', target_id: '7', target_label: email });

describe('audit log sentences', () => {
  it('words each action of issue 10', () => {
    const cases: [RowInput, string][] = [
      [{ action: 'user.role_changed', ...user('ann@example.com'), detail: { from: 'editor', to: 'admin' } }, 'changed the role of ann@example.com from editor to admin'],
      [{ action: 'auth.sign_in', ...user('admin@example.com') }, 'signed in'],
      [{ action: 'auth.sign_in_failed', actor_type: 'anonymous', actor_label: null, ...user('ann@example.com') }, 'failed to sign in as ann@example.com'],
      [{ action: 'auth.password_changed', ...user('admin@example.com') }, 'changed their password'],
      [{ action: 'auth.password_reset', ...user('admin@example.com') }, 'set a new password with a reset link'],
      [{ action: 'user.deactivated', ...user('bob@example.com') }, 'deactivated the user bob@example.com'],
      [{ action: 'user.invited', ...user('cy@example.com'), detail: { role: 'viewer' } }, 'invited cy@example.com as viewer'],
      [
        { action: 'apikey.created', target_type: 'api_key', target_id: '3', target_label: 'shop', detail: { scopes: ['events:write'], expires_at: null } },
        'created the API key shop with the scopes events:write',
      ],
      [{ action: 'apikey.revoked', target_type: 'api_key', target_id: '3', target_label: 'shop' }, 'revoked the API key shop'],
      [
        { action: 'settings.changed', detail: { changes: { reporting_time_zone: { from: 'UTC', to: 'Europe/Berlin' }, logo_url: { from: '', to: 'https://x.example/l.png' } } } },
        'changed the settings: reporting time zone from UTC to Europe/Berlin; logo address from (blank) to https://x.example/l.png',
      ],
      [
        { action: 'contact_rules.changed', detail: { changes: { cap: { from: { count: 3, window_days: 90 }, to: null }, quiet_hours: { from: { start: '09:00', end: '20:00' }, to: { start: '08:00', end: '18:00' } } } } },
        'changed the global contact rules: rolling cap from 3 in 90 days to off; quiet hours from 09:00–20:00 to 08:00–18:00',
      ],
      [
        { action: 'contact_rules.changed', detail: { changes: { survey_may_override: { from: { cooldown_after_invitation: false, quiet_hours: true }, to: { cooldown_after_invitation: true, quiet_hours: true } } } } },
        'changed the global contact rules: what a survey may set for itself from quiet hours to cooldown after invitation, quiet hours',
      ],
      [{ action: 'survey.status_changed', target_type: 'survey', target_id: 'd', target_label: 'd', detail: { from: 'paused', to: 'archived' } }, 'archived the survey d (it was paused)'],
      [
        { action: 'survey.rules_changed', target_type: 'survey', target_id: 'd', target_label: 'd', detail: { changes: { quiet_hours: { from: 'the global rule', to: null } } } },
        'changed the contact rules of the survey d: quiet hours from the global rule to off',
      ],
      [
        { action: 'survey.rules_changed', target_type: 'survey', target_id: 'd', target_label: 'd', detail: { changes: { precision_target: { from: null, to: { margin: 5, period: 'month', segment: 'region' } } } } },
        'changed the contact rules of the survey d: precision target from off to ±5 every month for each region',
      ],
      [{ action: 'customer.exported', target_type: 'customer', target_id: '4', target_label: 'c-4' }, 'exported the data of the customer c-4'],
      [{ action: 'audit.pruned', actor_type: 'system', detail: { deleted: 1, retention_days: 365, before: '2025-11-23T10:00:00.000Z' } }, 'deleted 1 audit line older than 365 days (before 2025-11-23T10:00:00.000Z)'],
    ];
    for (const [over, sentence] of cases) expect(actionSentence(row(over)), String(over.action)).to.equal(sentence);
  });

  it('has a sentence for every action the app writes, and reads an unknown one in words', () => {
    for (const action of ['settings.changed', 'contact_rules.changed', 'settings.link_secret_replaced', 'survey.status_changed', 'survey.rules_changed', 'customer.erased', 'customer.exported', 'import.responses', 'import.events', 'invitation.opened_as_customer']) {
      expect(sentences, action).to.have.property(action);
    }
    expect(actionSentence(row({ action: 'auth.totp_enrolled', ...user('ann@example.com') }))).to.equal('totp enrolled (auth): ann@example.com');
    expect(actionSentence(row({ action: 'customer.erased', target_type: 'customer', target_id: '9', target_label: 'c-9', detail: '{not json' }))).to.equal('erased the customer c-9');
  });

  it('names who did it', () => {
    expect(actorText({ actor_type: 'user', actor_id: 1, actor_label: 'ann@example.com' })).to.equal('ann@example.com');
    expect(actorText({ actor_type: 'api_key', actor_id: 2, actor_label: 'shop' })).to.equal('API key shop');
    expect(actorText({ actor_type: 'cli', actor_id: null, actor_label: 'command line' })).to.equal('command line');
    expect(actorText({ actor_type: 'system', actor_id: null, actor_label: 'Touchpoint' })).to.equal('system');
    expect(actorText({ actor_type: 'anonymous', actor_id: null, actor_label: null })).to.equal('anonymous');
  });
});
