import { expect } from 'chai';
import type { Response } from 'supertest';

/**
 * Bad input for the JSON API, as tables: each case says what is sent and
 * which field the answer must name. A `raw` body is sent as it is (with
 * `type`, application/json unless told), so that it can carry what
 * JSON.stringify never writes: lone surrogates, broken JSON, bare scalars.
 */
export interface BadCase {
  name: string;
  body?: unknown;
  raw?: string;
  type?: string;
  /** The exact status, when one is promised (400, 404, 413, 422). */
  status?: number;
  /** The field that `errors[].field` must name. */
  field?: string;
}

/** A well-formed event; `over` replaces fields (undefined removes one). */
export const goodEvent = (over: Record<string, unknown> = {}, seq = Math.random().toString(36).slice(2)): Record<string, unknown> => {
  const event: Record<string, unknown> = {
    touchpoint: 'delivery',
    transaction_id: `bad-input-${seq}`,
    customer: { email: `bad-input-${seq}@example.com` },
    ...over,
  };
  for (const [key, value] of Object.entries(event)) if (value === undefined) delete event[key];
  return event;
};

/** A well-formed new survey; `over` replaces fields (undefined removes one). */
export const goodSurvey = (over: Record<string, unknown> = {}, seq = Math.random().toString(36).slice(2, 10)): Record<string, unknown> => {
  const survey: Record<string, unknown> = { key: `bad-input-${seq}`, touchpoint: `bad-input-${seq}`, metric: 'nps', ...over };
  for (const [key, value] of Object.entries(survey)) if (value === undefined) delete survey[key];
  return survey;
};

const long = (n: number, ch = 'x') => ch.repeat(n);

/** Bodies that are not a JSON object at all: the same for every POST/PATCH of the API. */
export const notAnObject: BadCase[] = [
  { name: 'malformed JSON', raw: '{"touchpoint": "delivery",', status: 400, field: '(body)' },
  { name: 'JSON with a trailing comma', raw: '{"a": 1,}', status: 400, field: '(body)' },
  { name: 'a bare JSON string', raw: '"delivery"', status: 400, field: '(body)' },
  { name: 'JSON null', raw: 'null', status: 400, field: '(body)' },
  { name: 'a bare number', raw: '42', status: 400, field: '(body)' },
  { name: 'a JSON array', raw: '[{"touchpoint": "delivery"}]', status: 422, field: '(body)' },
  { name: 'an empty JSON array', raw: '[]', status: 422, field: '(body)' },
  { name: 'a text/plain body', raw: '{"touchpoint": "delivery"}', type: 'text/plain', status: 422, field: '(body)' },
  { name: 'a form body', raw: 'touchpoint=delivery', type: 'application/x-www-form-urlencoded', status: 422, field: '(body)' },
  { name: 'an unsupported charset', raw: '{}', type: 'application/json; charset=ibm-037', status: 415 },
  { name: 'a body over 2 MB', raw: JSON.stringify({ padding: long(2 * 1024 * 1024 + 10) }), status: 413, field: '(body)' },
];

/** POST /api/v1/events: each field wrong in turn. */
export const badEvents: BadCase[] = [
  { name: 'no touchpoint', body: goodEvent({ touchpoint: undefined }), status: 422, field: 'touchpoint' },
  { name: 'a number for touchpoint', body: goodEvent({ touchpoint: 7 }), status: 422, field: 'touchpoint' },
  { name: 'an empty touchpoint', body: goodEvent({ touchpoint: '' }), status: 422, field: 'touchpoint' },
  { name: 'a 10,000-character touchpoint', body: goodEvent({ touchpoint: long(10_000) }), status: 422, field: 'touchpoint' },
  { name: 'an unknown touchpoint', body: goodEvent({ touchpoint: 'no-such-touchpoint' }), status: 422, field: 'touchpoint' },
  { name: 'no transaction_id', body: goodEvent({ transaction_id: undefined }), status: 422, field: 'transaction_id' },
  { name: 'a fraction for transaction_id', body: goodEvent({ transaction_id: 1.5 }), status: 422, field: 'transaction_id' },
  { name: 'an unsafe integer for transaction_id', raw: JSON.stringify(goodEvent({ transaction_id: 0 })).replace('"transaction_id":0', '"transaction_id":12345678901234567890'), status: 422, field: 'transaction_id' },
  { name: 'true for transaction_id', body: goodEvent({ transaction_id: true }), status: 422, field: 'transaction_id' },
  { name: 'an object for transaction_id', body: goodEvent({ transaction_id: { id: 1 } }), status: 422, field: 'transaction_id' },
  { name: 'an array for transaction_id', body: goodEvent({ transaction_id: ['a'] }), status: 422, field: 'transaction_id' },
  { name: 'an empty transaction_id', body: goodEvent({ transaction_id: '' }), status: 422, field: 'transaction_id' },
  { name: 'a 10,000-character transaction_id', body: goodEvent({ transaction_id: long(10_000) }), status: 422, field: 'transaction_id' },
  { name: 'NUL in transaction_id', body: goodEvent({ transaction_id: 'tx\u0000nul' }), status: 422, field: 'transaction_id' },
  { name: 'a lone surrogate in transaction_id', raw: JSON.stringify(goodEvent({ transaction_id: 'LONE' })).replace('LONE', 'tx\\ud800'), status: 422, field: 'transaction_id' },
  { name: 'no customer', body: goodEvent({ customer: undefined }), status: 422, field: 'customer' },
  { name: 'an array for customer', body: goodEvent({ customer: [{ email: 'a@example.com' }] }), status: 422, field: 'customer' },
  { name: 'a string for customer', body: goodEvent({ customer: 'a@example.com' }), status: 422, field: 'customer' },
  { name: 'null for customer', body: goodEvent({ customer: null }), status: 422, field: 'customer' },
  { name: 'a customer with neither id nor email', body: goodEvent({ customer: { name: 'Ann' } }), status: 422, field: 'customer.email' },
  { name: 'a number for customer.email', body: goodEvent({ customer: { email: 5 } }), status: 422, field: 'customer.email' },
  { name: 'a 10,000-character customer.email', body: goodEvent({ customer: { email: `${long(10_000)}@example.com` } }), status: 422, field: 'customer.email' },
  { name: 'an object for customer.id', body: goodEvent({ customer: { id: { x: 1 }, email: 'a@example.com' } }), status: 422, field: 'customer.id' },
  { name: 'NUL in customer.id', body: goodEvent({ customer: { id: 'c\u0000', email: 'a@example.com' } }), status: 422, field: 'customer.id' },
  { name: 'a lone surrogate in customer.id', raw: JSON.stringify(goodEvent({ customer: { id: 'LONE' } })).replace('LONE', '\\udc00id'), status: 422, field: 'customer.id' },
  { name: 'a bad customer.locale', body: goodEvent({ customer: { email: 'a@example.com', locale: 'english please' } }), status: 422, field: 'customer.locale' },
  { name: 'a number for customer.name', body: goodEvent({ customer: { email: 'a@example.com', name: 12 } }), status: 422, field: 'customer.name' },
  { name: 'a 100-character customer.time_zone', body: goodEvent({ customer: { email: 'a@example.com', time_zone: long(100) } }), status: 422, field: 'customer.time_zone' },
  { name: 'a string for properties', body: goodEvent({ properties: 'region=north' }), status: 422, field: 'properties' },
  { name: 'an array for properties', body: goodEvent({ properties: ['north'] }), status: 422, field: 'properties' },
  { name: 'a nested object in properties', body: goodEvent({ properties: { region: { name: 'north' } } }), status: 422, field: 'properties.region' },
  { name: 'a list in properties', body: goodEvent({ properties: { regions: ['north'] } }), status: 422, field: 'properties.regions' },
  { name: 'an overlong property value', body: goodEvent({ properties: { note: long(501) } }), status: 422, field: 'properties.note' },
  { name: 'an overlong property name', body: goodEvent({ properties: { [long(65)]: 'x' } }), status: 422, field: `properties.${long(65)}` },
  { name: '51 properties', body: goodEvent({ properties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`p${i}`, i])) }), status: 422, field: 'properties' },
  { name: 'an infinite number (1e400) in properties', raw: JSON.stringify(goodEvent({ properties: { big: 0 } })).replace('"big":0', '"big":1e400'), status: 422, field: 'properties.big' },
  { name: 'occurred_at that is not a time', body: goodEvent({ occurred_at: 'yesterday' }), status: 422, field: 'occurred_at' },
  { name: 'occurred_at without a zone', body: goodEvent({ occurred_at: '2026-11-23T10:00:00' }), status: 422, field: 'occurred_at' },
  { name: 'occurred_at on 30 February', body: goodEvent({ occurred_at: '2026-02-30T10:00:00Z' }), status: 422, field: 'occurred_at' },
  { name: 'a number for occurred_at', body: goodEvent({ occurred_at: 1_700_000_000_000 }), status: 422, field: 'occurred_at' },
  { name: 'occurred_at before 2000', body: goodEvent({ occurred_at: '1999-12-31T23:59:59Z' }), status: 422, field: 'occurred_at' },
  { name: 'occurred_at years ahead', body: goodEvent({ occurred_at: '2099-01-01T00:00:00Z' }), status: 422, field: 'occurred_at' },
];

/** POST /api/v1/events/batch. */
export const badBatches: BadCase[] = [
  { name: 'no events', body: {}, status: 422, field: 'events' },
  { name: 'a string for events', body: { events: 'all of them' }, status: 422, field: 'events' },
  { name: 'an object for events', body: { events: { 0: goodEvent() } }, status: 422, field: 'events' },
  { name: 'null for events', body: { events: null }, status: 422, field: 'events' },
  { name: '1,001 events', body: { events: Array.from({ length: 1001 }, (_, i) => goodEvent({}, `batch-over-${i}`)) }, status: 422, field: 'events' },
];

/** POST /api/v1/surveys. */
export const badSurveys: BadCase[] = [
  { name: 'no key', body: goodSurvey({ key: undefined }), status: 422, field: 'key' },
  { name: 'a key with spaces and capitals', body: goodSurvey({ key: 'My Survey' }), status: 422, field: 'key' },
  { name: 'a number for key', body: goodSurvey({ key: 42 }), status: 422, field: 'key' },
  { name: 'a 10,000-character key', body: goodSurvey({ key: long(10_000, 'a') }), status: 422, field: 'key' },
  { name: 'no touchpoint', body: goodSurvey({ touchpoint: undefined }), status: 422, field: 'touchpoint' },
  { name: 'an array for touchpoint', body: goodSurvey({ touchpoint: ['delivery'] }), status: 422, field: 'touchpoint' },
  { name: 'no metric', body: goodSurvey({ metric: undefined }), status: 422, field: 'metric' },
  { name: 'an unknown metric', body: goodSurvey({ metric: 'happiness' }), status: 422, field: 'metric' },
  { name: "'yes' for send_delay_minutes", body: goodSurvey({ send_delay_minutes: 'yes' }), status: 422, field: 'send_delay_minutes' },
  { name: 'a negative send_delay_minutes', body: goodSurvey({ send_delay_minutes: -5 }), status: 422, field: 'send_delay_minutes' },
  { name: 'a fraction for send_delay_minutes', body: goodSurvey({ send_delay_minutes: 1.5 }), status: 422, field: 'send_delay_minutes' },
  { name: 'a string for sample_rate', body: goodSurvey({ sample_rate: '50' }), status: 422, field: 'sample_rate' },
  { name: 'sample_rate over 100', body: goodSurvey({ sample_rate: 101 }), status: 422, field: 'sample_rate' },
  { name: 'an unknown status', body: goodSurvey({ status: 'live' }), status: 422, field: 'status' },
  { name: 'an unknown channel', body: goodSurvey({ channel: 'sms' }), status: 422, field: 'channel' },
  { name: 'an unknown default_locale', body: goodSurvey({ default_locale: 'xx' }), status: 422, field: 'default_locale' },
  { name: 'a number for question', body: goodSurvey({ question: 42 }), status: 422, field: 'question' },
  { name: 'a too-short question', body: goodSurvey({ question: 'ok' }), status: 422, field: 'question.en' },
  { name: 'a 10,000-character question', body: goodSurvey({ question: long(10_000) }), status: 422, field: 'question.en' },
  { name: 'a question only in an unknown locale', body: goodSurvey({ question: { xx: 'How likely are you to recommend us?' } }), status: 422, field: 'question' },
  { name: 'a string for quiet_hours', body: goodSurvey({ quiet_hours: '9-5' }), status: 422, field: 'quiet_hours' },
  { name: 'a bad quiet_hours.start', body: goodSurvey({ quiet_hours: { start: '25:00', end: '20:00' } }), status: 422, field: 'quiet_hours.start' },
  { name: 'a string for rules', body: goodSurvey({ rules: 'strict' }), status: 422, field: 'rules' },
  { name: 'a negative cooldown in rules', body: goodSurvey({ rules: { cooldown_after_invitation_days: -1 } }), status: 422, field: 'rules.cooldown_after_invitation_days' },
  { name: 'a 10,000-character touchpoint_name', body: goodSurvey({ touchpoint_name: long(10_000) }), status: 422, field: 'touchpoint_name' },
];

/** PATCH /api/v1/surveys/:key (on a draft survey made by the API). */
export const badPatches: BadCase[] = [
  { name: "'yes' for send_delay_minutes", body: { send_delay_minutes: 'yes' }, status: 422, field: 'send_delay_minutes' },
  { name: 'an unknown status', body: { status: 'live' }, status: 422, field: 'status' },
  { name: 'a changed metric', body: { metric: 'nps' }, status: 422, field: 'metric' },
  { name: 'a changed key', body: { key: 'another-key' }, status: 422, field: 'key' },
  { name: 'a changed touchpoint', body: { touchpoint: 'elsewhere' }, status: 422, field: 'touchpoint' },
  { name: 'a number for question', body: { question: 7 }, status: 422, field: 'question' },
  { name: 'an empty default-locale question', body: { question: { en: '' } }, status: 422, field: 'question' },
  { name: 'a string for quiet_hours', body: { quiet_hours: 'always' }, status: 422, field: 'quiet_hours' },
  { name: 'a string for sample_rate', body: { sample_rate: 'half' }, status: 422, field: 'sample_rate' },
  { name: 'an array for rules', body: { rules: [1, 2] }, status: 422, field: 'rules' },
];

/** GET /api/v1/metrics (query strings, already encoded). */
export const badMetricsQueries: BadCase[] = [
  { name: 'no survey', raw: '', status: 422, field: 'survey' },
  { name: 'an empty survey', raw: 'survey=', status: 422, field: 'survey' },
  { name: 'survey given twice', raw: 'survey=delivery-nps&survey=other', status: 422, field: 'survey' },
  { name: 'a 10,000-character survey', raw: `survey=${long(10_000, 'a')}`, status: 422, field: 'survey' },
  { name: 'an unknown survey', raw: 'survey=no-such-survey', status: 404 },
  { name: 'an unknown interval', raw: 'survey=delivery-nps&interval=year', status: 422, field: 'interval' },
  { name: 'from that is not a date', raw: 'survey=delivery-nps&from=last%20week', status: 422, field: 'from' },
  { name: 'from on 30 February', raw: 'survey=delivery-nps&from=2026-02-30', status: 422, field: 'from' },
  { name: 'to before from', raw: 'survey=delivery-nps&from=2026-11-01&to=2026-10-01', status: 422, field: 'to' },
  { name: 'an unknown tz', raw: 'survey=delivery-nps&tz=Mars%2FOlympus', status: 422, field: 'tz' },
  { name: 'NUL in tz', raw: 'survey=delivery-nps&tz=UTC%00', status: 422, field: 'tz' },
  { name: 'a segment with spaces', raw: 'survey=delivery-nps&segment=a%20b', status: 422, field: 'segment' },
  { name: 'NUL in survey', raw: 'survey=delivery%00nps', status: 422, field: 'survey' },
  { name: 'a lone surrogate (bad UTF-8) in survey', raw: 'survey=%ED%A0%80', status: 404 },
];

/** GET /api/v1/responses. */
export const badResponsesQueries: BadCase[] = [
  { name: 'a word for limit', raw: 'limit=many', status: 422, field: 'limit' },
  { name: 'limit 0', raw: 'limit=0', status: 422, field: 'limit' },
  { name: 'limit 1001', raw: 'limit=1001', status: 422, field: 'limit' },
  { name: 'a fraction for limit', raw: 'limit=2.5', status: 422, field: 'limit' },
  { name: 'a cursor this API never gave', raw: 'cursor=not-a-cursor', status: 422, field: 'cursor' },
  { name: 'a cursor holding a huge number', raw: `cursor=${Buffer.from('r99999999999999999999').toString('base64url')}`, status: 422, field: 'cursor' },
  { name: 'an unknown survey', raw: 'survey=no-such-survey', status: 404 },
  { name: 'an unknown tz', raw: 'tz=Nowhere%2FAtAll', status: 422, field: 'tz' },
  { name: 'from that is not a date', raw: 'from=soon', status: 422, field: 'from' },
  { name: 'survey given twice', raw: 'survey=a&survey=b', status: 422, field: 'survey' },
  { name: 'NUL in survey', raw: 'survey=delivery%00nps', status: 422, field: 'survey' },
];

/** GET /api/v1/customers/:id/timeline (the id, already encoded). */
export const badTimelineIds: BadCase[] = [
  { name: 'an unknown customer', raw: 'no-such-customer', status: 404 },
  { name: 'a 10,000-character id', raw: long(10_000, 'c'), status: 404 },
  { name: 'NUL in the id', raw: 'cust%00omer', status: 404 },
  { name: 'a broken percent-encoding', raw: 'cust%ZZ', status: 400 },
  { name: 'a lone surrogate (bad UTF-8)', raw: '%ED%A0%80', status: 400 },
  { name: 'an RTL override and emoji', raw: encodeURIComponent('\u202Eevil\u{1F600}'), status: 404 },
];

/**
 * The standard for an API error: a 4xx (the given status when one is
 * promised), application/problem+json whose `status` matches, and, where a
 * field is at fault, `errors[].field` naming it with a message.
 */
export function expectProblem(res: Response, expected: { status?: number; field?: string }, label = ''): void {
  const where = `${label}: ${res.status} ${res.text?.slice(0, 300)}`;
  expect(res.status, where).to.be.within(400, 499);
  if (expected.status) expect(res.status, where).to.equal(expected.status);
  expect(res.headers['content-type'], where).to.match(/^application\/problem\+json/);
  const problem = JSON.parse(res.text) as { status: number; title: string; errors?: { field: string; message: string }[] };
  expect(problem.status, where).to.equal(res.status);
  expect(problem.title, where).to.be.a('string').that.is.not.empty;
  if (expected.field) {
    expect(problem.errors, where).to.be.an('array').that.is.not.empty;
    expect(problem.errors!.map((e) => e.field), where).to.include(expected.field);
    for (const e of problem.errors!) expect(e.message, where).to.be.a('string').that.is.not.empty;
  }
}
