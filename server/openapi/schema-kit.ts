import { z } from 'zod';

/**
 * Small tools for describing the API with zod (for @asteasolutions/zod-to-openapi, which reads zod's
 * `.meta()`): the schemas themselves are the features' own, only described here.
 */

/** Metadata as zod-to-openapi reads it from `.meta()`: JSON Schema keywords, and `param` for a parameter. */
type Meta = z.core.GlobalMeta;

/** An instant as the API writes it (server/db/time.ts: 2026-11-23T10:00:00.000Z). */
export const instant = z.iso.datetime();

/** `schema` with a description (and more metadata) on some of its fields; its limits and checks stay its own. */
export function describeFields<S extends z.ZodObject>(schema: S, texts: { [K in keyof S['shape']]?: string | Meta }): S {
  const described = Object.fromEntries(
    Object.entries(texts).map(([field, meta]) => [field, (schema.shape[field] as z.ZodType).meta(typeof meta === 'string' ? { description: meta } : (meta as Meta))]),
  );
  return (schema as z.ZodObject).safeExtend(described) as unknown as S;
}

/**
 * Every value of a string union that the feature keeps as a type only (no list to import): tsc fails
 * when a value is missing here or is not in the type, so the document cannot drift from the code.
 */
export const everyValueOf =
  <T extends string>() =>
  <const L extends readonly T[]>(values: L & ([T] extends [L[number]] ? unknown : never)): L =>
    values;

/** "must be a date between A and B" → "a date between A and B": the features' messages, read as prose. */
export const asProse = (message: string): string => message.replace(/^must be /, '');
