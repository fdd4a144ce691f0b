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
export const sourcesOf = (choice: SourceChoice): readonly string[] | null =>
  choice === 'all' ? null : choice === 'anonymous' ? ['anonymous'] : IDENTIFIED;
