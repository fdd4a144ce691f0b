import type { Knex } from 'knex';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { locales } from '../i18n/index.ts';
import { quietHoursSchema } from '../settings/service.ts';
import {
  defaultSurveyRules,
  keySchema,
  metrics,
  surveyRulesSchema,
  surveyStatuses,
  wordingSchema,
  type Survey,
  type Wording,
} from './model.ts';
import { findSurveyByKey, findTouchpointByKey } from './queries.ts';
import { templates } from './templates.ts';

const localeSchema = z.enum(locales, `must be one of ${locales.join(', ')}`);
/** A text given once for every locale, or per locale. */
const perLocale = z.union([z.string(), z.record(localeSchema, z.string())]);

/** The survey as integrators and files describe it (DESIGN.md, POST /api/v1/surveys). */
export const surveyInputSchema = z.object({
  key: keySchema,
  touchpoint: keySchema,
  touchpoint_name: z.string().trim().min(1).max(200).optional(),
  metric: z.enum(metrics, 'must be nps, csat or ces'),
  question: z.union([z.string(), z.record(localeSchema, z.string())]).optional(),
  low_label: perLocale.optional(),
  high_label: perLocale.optional(),
  comment_prompt: perLocale.optional(),
  thank_you: perLocale.optional(),
  default_locale: localeSchema.default('en'),
  status: z.enum(surveyStatuses, 'must be draft, active, paused or archived').default('draft'),
  channel: z.enum(['email', 'link']).default('email'),
  send_delay_minutes: z.number().int().min(0).max(60 * 24 * 30).default(0),
  sample_rate: z.number().min(0).max(100).default(100),
  quiet_hours: quietHoursSchema.nullable().optional(),
  rules: surveyRulesSchema.optional(),
});
export type SurveyInput = z.input<typeof surveyInputSchema>;

export const surveyPatchSchema = surveyInputSchema.omit({ key: true, touchpoint: true, metric: true }).partial();
export type SurveyPatch = z.input<typeof surveyPatchSchema>;

type Parsed = z.infer<typeof surveyInputSchema>;

const textFor = (value: string | Partial<Record<string, string>> | undefined, locale: string) =>
  typeof value === 'string' ? value : value?.[locale];

/**
 * The wording per locale: what was given, else the metric's template. Only
 * locales that have a question (given or from the template) are kept.
 */
function buildContent(input: Pick<Parsed, 'metric' | 'question' | 'low_label' | 'high_label' | 'comment_prompt' | 'thank_you' | 'default_locale'>, previous?: Record<string, Wording>): Record<string, Wording> {
  const content: Record<string, Wording> = {};
  for (const locale of locales) {
    const base = previous?.[locale] ?? templates[input.metric][locale];
    const question = textFor(input.question, locale) ?? (typeof input.question === 'object' ? undefined : base?.question);
    if (!question) continue;
    content[locale] = {
      question,
      low_label: textFor(input.low_label, locale) ?? base?.low_label,
      high_label: textFor(input.high_label, locale) ?? base?.high_label,
      comment_prompt: textFor(input.comment_prompt, locale) ?? base?.comment_prompt,
      thank_you: textFor(input.thank_you, locale) ?? base?.thank_you,
    };
  }
  for (const [locale, wording] of Object.entries(content)) {
    const checked = wordingSchema.safeParse(wording);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw ValidationError.field(`${String(issue.path[0])}.${locale}`, issue.message);
    }
  }
  if (!content[input.default_locale]) {
    throw ValidationError.field('question', `needs a wording in the default locale (${input.default_locale})`);
  }
  return content;
}

async function ensureOneActive(db: Knex, touchpointId: number, surveyKey: string): Promise<void> {
  const other = await db('surveys').where({ touchpoint_id: touchpointId, status: 'active' }).whereNot({ key: surveyKey }).first();
  if (other) {
    throw new ConflictError(`Survey ${other.key} is already active on this touchpoint; pause it first`, [
      { field: 'status', message: `another survey (${other.key}) is active on this touchpoint` },
    ]);
  }
}

function rulesFrom(parsed: Pick<Parsed, 'rules' | 'quiet_hours'>, previous = defaultSurveyRules) {
  const rules = { ...previous, ...parsed.rules };
  if (parsed.quiet_hours !== undefined) rules.quiet_hours = parsed.quiet_hours;
  return rules;
}

/** Creates a survey (and its touchpoint when new). `source` says who manages it. */
export async function createSurvey(db: Knex, input: SurveyInput, now: Date, source: Survey['source'] = 'ui', sourceFile: string | null = null): Promise<Survey> {
  const parsed = parseInput(surveyInputSchema, input);
  const content = buildContent(parsed);
  if (await findSurveyByKey(db, parsed.key)) {
    throw new ConflictError('A survey with this key exists', [{ field: 'key', message: 'is already taken' }]);
  }
  const at = toDbTime(now);
  await db.transaction(async (trx) => {
    let touchpoint = await findTouchpointByKey(trx, parsed.touchpoint);
    if (!touchpoint) {
      await trx('touchpoints').insert({ key: parsed.touchpoint, name: parsed.touchpoint_name ?? parsed.touchpoint, created_at: at });
      touchpoint = (await findTouchpointByKey(trx, parsed.touchpoint))!;
    }
    if (parsed.status === 'active') await ensureOneActive(trx, touchpoint.id, parsed.key);
    await trx('surveys').insert({
      key: parsed.key,
      touchpoint_id: touchpoint.id,
      metric: parsed.metric,
      status: parsed.status,
      default_locale: parsed.default_locale,
      content: JSON.stringify(content),
      send_delay_minutes: parsed.send_delay_minutes,
      sample_rate: parsed.sample_rate,
      rules: JSON.stringify(rulesFrom(parsed)),
      channel: parsed.channel,
      source,
      source_file: sourceFile,
      created_at: at,
      updated_at: at,
    });
  });
  return (await findSurveyByKey(db, parsed.key))!;
}

/** Changes a survey; key, touchpoint and metric stay (answers already counted depend on them). */
export async function updateSurvey(db: Knex, key: string, patch: SurveyPatch, now: Date): Promise<Survey> {
  const survey = await findSurveyByKey(db, key);
  if (!survey) throw new NotFoundError(`No survey with the key ${key}`);
  const parsed = parseInput(surveyPatchSchema, patch);
  const wordingChanged = ['question', 'low_label', 'high_label', 'comment_prompt', 'thank_you', 'default_locale'].some(
    (f) => f in parsed && parsed[f as keyof typeof parsed] !== undefined,
  );
  const content = wordingChanged
    ? buildContent({ ...parsed, metric: survey.metric, default_locale: parsed.default_locale ?? survey.default_locale }, survey.content)
    : survey.content;
  if (parsed.status === 'active') await ensureOneActive(db, survey.touchpoint_id, key);
  await db('surveys')
    .where({ id: survey.id })
    .update({
      status: parsed.status ?? survey.status,
      default_locale: parsed.default_locale ?? survey.default_locale,
      content: JSON.stringify(content),
      send_delay_minutes: parsed.send_delay_minutes ?? survey.send_delay_minutes,
      sample_rate: parsed.sample_rate ?? survey.sample_rate,
      channel: parsed.channel ?? survey.channel,
      rules: JSON.stringify(rulesFrom(parsed, survey.rules)),
      updated_at: toDbTime(now),
    });
  return (await findSurveyByKey(db, key))!;
}
