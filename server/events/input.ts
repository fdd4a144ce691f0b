import { z } from 'zod';
import { INSTANT_RANGE_MESSAGE, instantInRange } from '../dates.ts';

/** Lone UTF-16 surrogates: JSON can carry them, UTF-8 databases cannot store them. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** An identifier: kept exactly, so it must be storable as it is. */
const identifier = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode text (it holds a lone surrogate)')
    .refine((s) => !CONTROL.test(s), 'must not hold control characters');

/** Free text: made storable (lone surrogates become U+FFFD, NUL goes). */
const freeText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .transform((s) => s.replace(LONE_SURROGATES, '\uFFFD').replace(/\u0000/g, ''));

/** Absent, null and "" all mean "not given". */
const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === null || v === '' ? undefined : v), schema.optional());

const maxProperties = 50;
const maxPropertyValueLength = 500;

const propertyKey = identifier(64).refine((k) => k !== '__proto__', 'is not allowed as a property name');
/**
 * zod's record skips a key named "__proto__" (JSON.parse makes it an own
 * property); it would vanish without a word, so it is refused here, by name.
 */
const noProtoKey = (value: unknown, ctx: z.RefinementCtx) => {
  if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, '__proto__')) {
    ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'is not allowed as a property name' });
  }
};
const properties = z
  .unknown()
  .superRefine(noProtoKey)
  .pipe(z.record(propertyKey, z.union([freeText(maxPropertyValueLength), z.number(), z.boolean()], 'must be a string, a number or true/false'))
  .refine((p) => Object.keys(p).length <= maxProperties, `must have at most ${maxProperties} properties`));

const customerSchema = z
  .object({
    id: optional(identifier(200)),
    email: optional(freeText(254).transform((s) => s.trim())),
    name: optional(freeText(200).transform((s) => s.trim())),
    locale: optional(z.string().regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}$/, 'must be a language tag such as en or de-AT')),
    time_zone: optional(identifier(64)),
  })
  .superRefine((c, ctx) => {
    if (!c.id && !c.email) ctx.addIssue({ code: 'custom', path: ['email'], message: 'give customer.id or customer.email' });
  });

/** One transaction event as integrators send it (DESIGN.md, POST /api/v1/events). */
export const eventSchema = z.object(
  {
    touchpoint: z
      .string('must be a touchpoint key')
      .min(1, 'must not be empty')
      .max(100)
      .refine((s) => !LONE_SURROGATE.test(s) && !CONTROL.test(s), 'must be a touchpoint key (it holds control characters or a lone surrogate)'),
    transaction_id: z.union([identifier(200), z.number().int().transform(String)], 'must be a string'),
    customer: customerSchema,
    occurred_at: optional(
      z.iso
        .datetime({ offset: true, message: 'must be an ISO 8601 time with a zone, such as 2026-11-23T10:00:00Z', abort: true })
        .refine((at) => instantInRange(new Date(at)), INSTANT_RANGE_MESSAGE),
    ),
    properties: optional(properties),
  },
  'must be an object',
);
export type EventInput = z.infer<typeof eventSchema>;

const maxBatch = 1000;
export const batchSchema = z.object(
  { events: z.array(z.unknown(), 'must be a list of events').max(maxBatch, `must hold at most ${maxBatch} events`) },
  'must be an object with a list of events',
);
