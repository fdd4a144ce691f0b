import type { Deps } from '../deps.ts';
import { DAY } from '../clock.ts';
import { ValidationError } from '../errors.ts';
import { t } from '../i18n/index.ts';
import { preparedTransaction } from '../db/statements.ts';
import { toDbTime } from '../db/time.ts';
import { getSettings } from '../settings/service.ts';
import { listSurveys } from '../surveys/queries.ts';
import type { Survey } from '../surveys/model.ts';
import { upsertCustomer } from '../customers/queries.ts';
import { insertEvents } from '../events/queries.ts';
import { insertScheduledInvitations } from '../invitations/queries.ts';
import { newInvitationToken } from '../tokens.ts';
import type { SignedInUser } from '../auth/middleware.ts';

/** The surveys a test can go out for: active ones that email. */
export const testableSurveys = async (deps: Pick<Deps, 'db'>): Promise<Survey[]> =>
  (await listSurveys(deps.db)).filter((s) => s.status === 'active' && (s.channel === 'email' || s.channel === 'email_or_web'));

/**
 * "Send a test event to me" (the first-run checklist): an event of the survey's touchpoint for the person
 * who asked, as a customer with their address, and its invitation due at once, by email, marked as a test
 * (invitations.is_test): no delay, no quiet hours, no contact rules, no sampling; the worker sends it with
 * its next run, counts nothing for it and gives it no reminder, and its answer is kept as a test that no
 * figure counts. The event is recorded with source "test" and is not counted in the funnel either. Returns
 * the invitation's id.
 */
export async function sendTestEvent(deps: Deps, user: SignedInUser, surveyKey: string | undefined): Promise<{ invitationId: number; survey: Survey }> {
  const surveys = await testableSurveys(deps);
  const survey = surveyKey ? surveys.find((s) => s.key === surveyKey) : surveys[0];
  if (!survey) throw ValidationError.field('survey', surveyKey ? `is not an active survey that emails: ${surveyKey}` : 'needs an active survey that emails; create one first');
  const settings = await getSettings(deps.db);
  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  const locale = survey.content[user.locale] ? user.locale : survey.default_locale;
  const invitationId = await preparedTransaction(deps.db, async (sql) => {
    const email = user.email.toLowerCase();
    const customer = await upsertCustomer(sql, { external_id: email, email, name: user.name ?? undefined, locale }, nowIso);
    const [eventId] = await insertEvents(
      sql,
      settings.reporting_time_zone,
      [
        {
          touchpoint_id: survey.touchpoint_id,
          transaction_id: `test-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
          customer_id: customer.id,
          occurred_at: nowIso,
          received_at: nowIso,
          properties: '{}',
          source: 'test',
          survey_id: survey.id,
          decision: 'scheduled',
          reason: null,
          reason_detail: t('en', 'detail.test_event'),
          send_at: nowIso,
        },
      ],
      { count: false },
    );
    const { token: _token, ...tokenColumns } = newInvitationToken(deps.config);
    const [id] = await insertScheduledInvitations(sql, [
      {
        survey_id: survey.id,
        event_id: eventId,
        customer_id: customer.id,
        channel: 'email',
        state: 'scheduled',
        locale,
        send_at: nowIso,
        web_until: null,
        ...tokenColumns,
        expires_at: toDbTime(new Date(now.getTime() + settings.token_expiry_days * DAY)),
        is_test: 1,
        created_at: nowIso,
      },
    ]);
    return id;
  });
  return { invitationId, survey };
}
