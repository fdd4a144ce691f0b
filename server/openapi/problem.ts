import { z } from 'zod';
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';

/** Errors as the API answers them (server/http/problem.ts): application/problem+json, RFC 9457. */

const fieldError = z.strictObject({
  field: z.string().meta({ description: 'The failing field as a path, such as `customer.email` or `events.3.transaction_id`.', examples: ['customer.email'] }),
  message: z.string().meta({ examples: ['must be an email address'] }),
});

/** `errors` of a problem, and of a refused event in a batch. */
export const fieldErrors = z.array(fieldError);

const problemSchema = z
  .strictObject({
    type: z.url().meta({ examples: ['https://touchpoint.dev/problems/validation'] }),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional().meta({ description: 'What to do about it.' }),
    errors: fieldErrors.optional(),
  })
  .meta({ id: 'Problem', description: 'An error (RFC 9457).' });

/** A response of a JSON body. */
export const json = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: { 'application/json': { schema } } });

/** An error response: problem+json. */
export const problem = (description: string): ResponseConfig => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

/** What every call may answer. */
export const errors = {
  400: problem('The body is not valid JSON, or the request is malformed.'),
  401: problem('No API key, or the key is unknown, revoked or expired, or the user who created it has been deactivated.'),
  422: problem('A field failed validation; `errors` names each one.'),
};

export const notFound = { 404: problem('There is nothing with this key or id.') };
