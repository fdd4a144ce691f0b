import type { Knex } from 'knex';
import { toCount } from '../db/dialect.ts';

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
}

const exists = async (query: Knex.QueryBuilder): Promise<boolean> => toCount((await query.count({ n: '*' }).first())?.n) > 0;

/**
 * Where a new workspace stands on the way to its first answer: a survey, an API key, a test event sent
 * to oneself ("send a test event to me"), its answer, and the dashboard (reached with the answer: the
 * dashboard names the test answer and leaves it out of its figures). Five small reads.
 */
export async function firstRun(db: Knex): Promise<FirstRun> {
  const [survey, apiKey, invitation, answer] = await Promise.all([
    exists(db('surveys')),
    exists(db('api_keys').whereNull('revoked_at')),
    db('invitations').where({ is_test: true }).orderBy('id', 'desc').first('id', 'state') as Promise<{ id: number; state: string } | undefined>,
    db('answers')
      .join('surveys', 'surveys.id', 'answers.survey_id')
      .where('answers.reason', 'test')
      .orderBy('answers.id', 'desc')
      .first('answers.score', 'answers.answered_at', 'surveys.key as survey_key') as Promise<{ score: number; answered_at: string; survey_key: string } | undefined>,
  ]);
  const done: Record<FirstRunStep, boolean> = { survey, api_key: apiKey, test_event: !!invitation, answer: !!answer, dashboard: !!answer };
  const steps = firstRunSteps.map((key) => ({ key, done: done[key] }));
  return {
    steps,
    done: steps.filter((s) => s.done).length,
    total: steps.length,
    testAnswer: answer ? { ...answer, score: Number(answer.score) } : null,
    testInvitation: invitation ? { id: Number(invitation.id), state: invitation.state } : null,
  };
}
