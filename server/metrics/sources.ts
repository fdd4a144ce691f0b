import { z } from 'zod';
import type { Survey } from '../surveys/model.ts';

/**
 * Which answers a figure counts, by where they came from: `all`, `identified` (invitations, signed web
 * links, imports) or `anonymous` (the public web link). A survey whose editor leaves anonymous answers
 * out of its scores reads `identified` unless asked otherwise.
 */
export const sourceChoices = ['all', 'identified', 'anonymous'] as const;
export type SourceChoice = (typeof sourceChoices)[number];

export const sourceSchema = z.enum(sourceChoices, 'must be all, identified or anonymous').optional();

const IDENTIFIED = ['invitation', 'signed', 'import'] as const;

/** The choice in force for a survey: the one asked for, else the survey's default. */
export const sourceFor = (survey: Pick<Survey, 'count_anonymous'> | null, asked: SourceChoice | undefined): SourceChoice =>
  asked ?? (survey && !survey.count_anonymous ? 'identified' : 'all');

/** The stored sources a choice reads; null: every one (the rollups answer). */
const sourcesOf = (choice: SourceChoice): readonly string[] | null =>
  choice === 'all' ? null : choice === 'anonymous' ? ['anonymous'] : IDENTIFIED;

/** The channels an answer comes in by (responses.channel): email links, the widget on the company's site, the web link, imports. */
export const answerChannels = ['email', 'web', 'link', 'import'] as const;
export type AnswerChannelChoice = (typeof answerChannels)[number];
export const channelSchema = z.enum(answerChannels, 'must be email, web, link or import').optional();

/** Which stored answers a figure counts: of these sources and channels (null: any); null as a whole: every answer, so the rollups answer. */
export interface AnswerFilter {
  sources: readonly string[] | null;
  channels: readonly string[] | null;
}

/** The answers a source choice and an optional channel read. */
export function answerFilter(choice: SourceChoice, channel?: AnswerChannelChoice): AnswerFilter | null {
  const sources = sourcesOf(choice);
  return sources || channel ? { sources, channels: channel ? [channel] : null } : null;
}
