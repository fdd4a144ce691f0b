import type { Knex } from 'knex';

/** The first-run checklist's steps, in order. */
const firstRunSteps = ['survey', 'api_key', 'test_event', 'answer', 'dashboard'] as const;
type FirstRunStep = (typeof firstRunSteps)[number];

export interface FirstRun {
  steps: { key: FirstRunStep; done: boolean }[];
  done: number;
  total: number;
  /** The newest test answer (kept in the answers' ledger as a test, counted nowhere). */
  testAnswer: { score: number; answered_at: string; survey_key: string } | null;
  /** The newest test invitation, and where it stands. */
  testInvitation: { id: number; state: string } | null;
  /** Whether a customer has answered yet: the workspace is past its first run (the dashboard stops pointing to the checklist). */
  answered: boolean;
}

/** Whether the query finds a row (one row read at most). */
const exists = async (query: Knex.QueryBuilder): Promise<boolean> => !!(await query.first('id'));

/**
 * Where a new workspace stands on the way to its first answer: a survey, an API key, a test event sent
 * to oneself ("send a test event to me"), its answer, and the dashboard (reached with the answer: the
 * dashboard names the test answer and leaves it out of its figures), and whether any customer answered. Six
 * reads of a row at most each.
 */
export async function firstRun(db: Knex): Promise<FirstRun> {
  const [survey, apiKey, invitation, answer, answered] = await Promise.all([
    exists(db('surveys')),
    exists(db('api_keys').whereNull('revoked_at')),
    // The conditions written as the partial indexes' (migration 20261206090000), so the indexes serve them.
    db('invitations').whereRaw('is_test = true').orderBy('id', 'desc').first('id', 'state') as Promise<{ id: number; state: string } | undefined>,
    db('answers')
      .join('surveys', 'surveys.id', 'answers.survey_id')
      .whereRaw("answers.reason = 'test'")
      .orderBy('answers.id', 'desc')
      .first('answers.score', 'answers.answered_at', 'surveys.key as survey_key') as Promise<{ score: number; answered_at: string; survey_key: string } | undefined>,
    exists(db('responses')),
  ]);
  const done: Record<FirstRunStep, boolean> = { survey, api_key: apiKey, test_event: !!invitation, answer: !!answer, dashboard: !!answer };
  const steps = firstRunSteps.map((key) => ({ key, done: done[key] }));
  return {
    steps,
    done: steps.filter((s) => s.done).length,
    total: steps.length,
    testAnswer: answer ? { ...answer, score: Number(answer.score) } : null,
    testInvitation: invitation ? { id: Number(invitation.id), state: invitation.state } : null,
    answered,
  };
}
