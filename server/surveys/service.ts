import type { Knex } from 'knex';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { bumpVersion } from '../db/versioned-cache.ts';
import { audit, type AuditActor } from '../audit/record.ts';
import { locales } from '../i18n/index.ts';
import { defaultSurveyRules, precisionMarginProblem, wordingSchema, type Metric, type PrecisionTarget, type Survey, type SurveyRules, type Wording } from './model.ts';
import { findSurveyByKey, findTouchpointByKey } from './queries.ts';
import { templates } from './templates.ts';
import { surveyInputSchema, surveyPatchSchema, type ParsedSurveyInput as Parsed, type SurveyInput, type SurveyPatch } from './schemas.ts';

const textFor = (value: string | Partial<Record<string, string>> | undefined, locale: string) =>
  typeof value === 'string' ? value : value?.[locale];

/**
 * The wording per locale. On create: what was given, else the metric's
 * template; a question given per locale keeps only those locales. On change
 * (`previous`): what was given over what was there; a locale whose question is
 * given as "" is removed.
 */
export function buildContent(input: Pick<Parsed, 'metric' | 'question' | 'low_label' | 'high_label' | 'comment_prompt' | 'thank_you' | 'default_locale'>, previous?: Record<string, Wording>): Record<string, Wording> {
  const content: Record<string, Wording> = {};
  for (const locale of locales) {
    const given = textFor(input.question, locale);
    if (given !== undefined && given.trim() === '') continue;
    const template = templates[input.metric][locale];
    const base = previous ? (previous[locale] ?? (given ? template : undefined)) : template;
    const onlyGivenLocales = !previous && typeof input.question === 'object';
    const question = given ?? (onlyGivenLocales ? undefined : base?.question);
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
    content[locale] = checked.data;
  }
  if (!content[input.default_locale]) {
    throw ValidationError.field('question', `needs a wording in the default locale (${input.default_locale})`);
  }
  return content;
}

/** A precision target's margin checked against the survey's metric (the schema alone cannot: a change names no metric). */
function checkTarget(metric: Metric, target: PrecisionTarget | null | undefined): void {
  const problem = target ? precisionMarginProblem(metric, target.margin) : null;
  if (problem) throw ValidationError.field('precision_target.margin', problem);
}

/** The precision target as the column holds it. */
const targetColumn = (target: PrecisionTarget | null | undefined): string | null => (target ? JSON.stringify(target) : null);

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

const surveyTarget = (key: string) => ({ type: 'survey', id: key, label: key });

/** What a survey's contact rules are made of: its own rules, its sample rate or precision target and its maximum event age. */
type RuleState = { rules: SurveyRules; sample_rate: number; max_event_age_days: number | null; precision_target: PrecisionTarget | null };

const followsGlobalWhenUnset = new Set(['quiet_hours', 'global_cooldown_after_invitation_days', 'global_cooldown_after_response_days']);

/** The contact rules that differ between two states of a survey, with old and new values ("the global rule", or null for off, where the survey sets none). */
function surveyRuleChanges(before: RuleState, after: RuleState): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const a = before.rules as Record<string, unknown>;
  const b = after.rules as Record<string, unknown>;
  // A rule the survey does not set: these follow the global rule; the others are off.
  const unset = (key: string) => (followsGlobalWhenUnset.has(key) ? 'the global rule' : null);
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const from = a[key] === undefined ? unset(key) : a[key];
    const to = b[key] === undefined ? unset(key) : b[key];
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = { from, to };
  }
  for (const key of ['sample_rate', 'max_event_age_days', 'precision_target'] as const) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}

/** The audit lines of a change to a survey: its status, its contact rules. */
async function auditSurveyChange(trx: Knex, actor: AuditActor, before: Survey, after: RuleState & { status: Survey['status'] }, now: Date, file?: string): Promise<void> {
  const where = file ? { file } : {};
  if (before.status !== after.status) {
    await audit(trx, { actor, action: 'survey.status_changed', target: surveyTarget(before.key), detail: { from: before.status, to: after.status, ...where } }, now);
  }
  const changes = surveyRuleChanges(before, after);
  if (Object.keys(changes).length) {
    await audit(trx, { actor, action: 'survey.rules_changed', target: surveyTarget(before.key), detail: { changes, ...where } }, now);
  }
}

/** Creates a survey (and its touchpoint when new). `source` says who manages it. */
export async function createSurvey(
  db: Knex,
  input: SurveyInput,
  now: Date,
  source: Survey['source'] = 'ui',
  sourceFile: string | null = null,
  actor?: AuditActor,
): Promise<Survey> {
  const parsed = parseInput(surveyInputSchema, input);
  const content = buildContent(parsed);
  checkTarget(parsed.metric, parsed.precision_target);
  if (await findSurveyByKey(db, parsed.key)) {
    throw new ConflictError('A survey with this key exists', [{ field: 'key', message: 'is already taken' }]);
  }
  const at = toDbTime(now);
  await db.transaction(async (trx) => {
    // Every process reads surveys and touchpoints again (and this transaction reads them from the database).
    await bumpVersion(trx, 'surveys');
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
      precision_target: targetColumn(parsed.precision_target),
      rules: JSON.stringify(rulesFrom(parsed)),
      channel: parsed.channel,
      web_window_days: parsed.web_window_days,
      public_link: parsed.public_link,
      count_anonymous: parsed.count_anonymous,
      max_event_age_days: parsed.max_event_age_days,
      source,
      source_file: sourceFile,
      created_at: at,
      updated_at: at,
    });
    if (actor) {
      await audit(
        trx,
        { actor, action: 'survey.created', target: surveyTarget(parsed.key), detail: { status: parsed.status, source, ...(sourceFile ? { file: sourceFile } : {}) } },
        now,
      );
    }
  });
  return (await findSurveyByKey(db, parsed.key))!;
}

/**
 * Changes a survey; key, touchpoint and metric stay (answers already counted depend on them). With
 * `actor`, a change of status (`survey.status_changed`) or of the contact rules (`survey.rules_changed`)
 * is written to the audit log in the same transaction.
 */
export async function updateSurvey(
  db: Knex,
  key: string,
  patch: SurveyPatch,
  now: Date,
  options: { replaceRules?: boolean; actor?: AuditActor } = {},
): Promise<Survey> {
  const found = await findSurveyByKey(db, key);
  if (!found) throw new NotFoundError(`No survey with the key ${key}`);
  const parsed = parseInput(surveyPatchSchema, patch);
  checkTarget(found.metric, parsed.precision_target);
  const wordingChanged = ['question', 'low_label', 'high_label', 'comment_prompt', 'thank_you', 'default_locale'].some(
    (f) => f in parsed && parsed[f as keyof typeof parsed] !== undefined,
  );
  await writeTransaction(db, async (trx) => {
    // Read again inside the transaction: the audit line says what it was just before this change.
    const survey = (await findSurveyByKey(trx, key)) ?? found;
    const content = wordingChanged
      ? buildContent({ ...parsed, metric: survey.metric, default_locale: parsed.default_locale ?? survey.default_locale }, survey.content)
      : survey.content;
    if (parsed.status === 'active') await ensureOneActive(trx, survey.touchpoint_id, key);
    await bumpVersion(trx, 'surveys');
    if (parsed.touchpoint_name) await trx('touchpoints').where({ id: survey.touchpoint_id }).update({ name: parsed.touchpoint_name });
    const next = {
      status: parsed.status ?? survey.status,
      sample_rate: parsed.sample_rate ?? survey.sample_rate,
      precision_target: parsed.precision_target === undefined ? survey.precision_target : parsed.precision_target,
      max_event_age_days: parsed.max_event_age_days === undefined ? survey.max_event_age_days : parsed.max_event_age_days,
      // A patch adds to the rules; a whole form (replaceRules) says all of them.
      rules: rulesFrom(parsed, options.replaceRules ? {} : survey.rules),
    };
    await trx('surveys')
      .where({ id: survey.id })
      .update({
        status: next.status,
        default_locale: parsed.default_locale ?? survey.default_locale,
        content: JSON.stringify(content),
        send_delay_minutes: parsed.send_delay_minutes ?? survey.send_delay_minutes,
        sample_rate: next.sample_rate,
        precision_target: targetColumn(next.precision_target),
        channel: parsed.channel ?? survey.channel,
        web_window_days: parsed.web_window_days ?? survey.web_window_days,
        public_link: parsed.public_link ?? survey.public_link,
        count_anonymous: parsed.count_anonymous ?? survey.count_anonymous,
        max_event_age_days: next.max_event_age_days,
        rules: JSON.stringify(next.rules),
        updated_at: toDbTime(now),
      });
    if (options.actor) await auditSurveyChange(trx, options.actor, survey, next, now);
  });
  return (await findSurveyByKey(db, key))!;
}

/**
 * A survey managed as a file: created when new, else replaced by what the file
 * says (no merging with the previous version: the file is the whole truth).
 * Nothing is written when the file says what the database already holds.
 */
export async function saveSurveyFromFile(
  db: Knex,
  input: SurveyInput,
  now: Date,
  sourceFile: string,
  actor?: AuditActor,
): Promise<{ survey: Survey; changed: boolean }> {
  const parsed = parseInput(surveyInputSchema, input);
  const content = buildContent(parsed);
  const existing = await findSurveyByKey(db, parsed.key);
  if (!existing) return { survey: await createSurvey(db, input, now, 'file', sourceFile, actor), changed: true };
  if (existing.touchpoint_key !== parsed.touchpoint) {
    throw ValidationError.field('touchpoint', `cannot change: the survey ${parsed.key} belongs to the touchpoint ${existing.touchpoint_key}`);
  }
  if (existing.metric !== parsed.metric) {
    throw ValidationError.field('metric', `cannot change: the survey ${parsed.key} measures ${existing.metric}`);
  }
  checkTarget(parsed.metric, parsed.precision_target);
  const next = {
    status: parsed.status,
    default_locale: parsed.default_locale,
    content: JSON.stringify(content),
    send_delay_minutes: parsed.send_delay_minutes,
    sample_rate: parsed.sample_rate,
    precision_target: targetColumn(parsed.precision_target),
    rules: JSON.stringify(rulesFrom(parsed)),
    channel: parsed.channel,
    web_window_days: parsed.web_window_days,
    public_link: parsed.public_link,
    count_anonymous: parsed.count_anonymous,
    max_event_age_days: parsed.max_event_age_days,
    source: 'file' as const,
    source_file: sourceFile,
  };
  const current = {
    status: existing.status,
    default_locale: existing.default_locale,
    content: JSON.stringify(existing.content),
    send_delay_minutes: existing.send_delay_minutes,
    sample_rate: existing.sample_rate,
    precision_target: targetColumn(existing.precision_target),
    rules: JSON.stringify(existing.rules),
    channel: existing.channel,
    web_window_days: existing.web_window_days,
    public_link: existing.public_link,
    count_anonymous: existing.count_anonymous,
    max_event_age_days: existing.max_event_age_days,
    source: existing.source,
    source_file: existing.source_file,
  };
  const nameChanged = parsed.touchpoint_name !== undefined && parsed.touchpoint_name !== existing.touchpoint_name;
  if (JSON.stringify(next) === JSON.stringify(current) && !nameChanged) return { survey: existing, changed: false };
  await writeTransaction(db, async (trx) => {
    if (parsed.status === 'active') await ensureOneActive(trx, existing.touchpoint_id, parsed.key);
    await bumpVersion(trx, 'surveys');
    if (nameChanged) await trx('touchpoints').where({ id: existing.touchpoint_id }).update({ name: parsed.touchpoint_name });
    await trx('surveys').where({ id: existing.id }).update({ ...next, updated_at: toDbTime(now) });
    if (actor) {
      const after = {
        status: parsed.status,
        rules: JSON.parse(next.rules) as SurveyRules,
        sample_rate: parsed.sample_rate,
        max_event_age_days: parsed.max_event_age_days,
        precision_target: parsed.precision_target,
      };
      await auditSurveyChange(trx, actor, existing, after, now, sourceFile);
    }
  });
  return { survey: (await findSurveyByKey(db, parsed.key))!, changed: true };
}

/** Says who manages a survey from now on (after an export to a file, or when its file is gone). */
export async function setSurveySource(db: Knex, key: string, source: Survey['source'], sourceFile: string | null, now: Date): Promise<void> {
  await db('surveys').where({ key }).update({ source, source_file: sourceFile, updated_at: toDbTime(now) });
  await bumpVersion(db, 'surveys');
}
