import { expect } from 'chai';
import { webhookEventTypes } from '../../server/webhooks/outbox.ts';
import supertest from 'supertest';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { createApiKey } from '../../server/apikeys/service.ts';
import { insertResponse } from '../../server/responses/store.ts';
import { writeTransaction } from '../../server/db/dialect.ts';
import { API_ROUTE_SCOPES } from '../../server/api.ts';
import { apiScopes } from '../../server/apikeys/scopes.ts';
import { suppressionReasons } from '../../server/eligibility/reasons.ts';

/** The document read back over HTTP, and every answer checked against it. */

type Schema = Record<string, any>;
type Operation = {
  description?: string;
  security?: unknown;
  'x-required-scope'?: string;
  parameters?: { name: string; in: string; required: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; description?: string }>; schemas: Record<string, Schema> };
  security: Record<string, unknown>[];
};

const BASE = 'https://touchpoint.test/openapi.json';
const methods = ['get', 'post', 'patch', 'put', 'delete'];
const operations = (doc: Doc) => Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).filter(([m]) => methods.includes(m)).map(([method, op]) => ({ method, path, op, call: `${method.toUpperCase()} ${path}` })));

/** Every $ref in the document points at something in it. */
function danglingRefs(doc: unknown): string[] {
  const bad: string[] = [];
  const resolve = (ref: string) => ref.slice(2).split('/').reduce<any>((node, part) => node?.[part], doc);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) k === '$ref' && typeof v === 'string' && resolve(v) === undefined ? bad.push(v) : walk(v);
  };
  walk(doc);
  return bad;
}

describe('OpenAPI document', () => {
  let ctx: TestContext;
  let doc: Doc;
  let rebased: Doc;
  const ajv = new Ajv2020.default({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats.default(ajv);
  // Query strings are text: their values are checked as a client would send them.
  const params = new Ajv2020.default({ strict: true, allowUnionTypes: true, coerceTypes: 'array' });
  addFormats.default(params);
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  const validate = (schema: Schema, value: unknown, what: string, validator = ajv) => {
    const key = `${validator === ajv}${JSON.stringify(schema)}`;
    const check = compiled.get(key) ?? compiled.set(key, validator.compile(schema)).get(key)!;
    return check(value) ? [] : (check.errors ?? []).map((e) => `${what}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  };
  /** `${call} ${status}` of every answer checked against the document. */
  const checked = new Set<string>();

  /**
   * One call over HTTP: its query and body must be what the document describes, and the answer must be
   * documented for the call (status and media type) and valid against the documented schema.
   */
  async function call(method: 'get' | 'post' | 'patch' | 'delete', path: string, opts: { params?: Record<string, string>; query?: Record<string, string | number | string[]>; body?: unknown; raw?: string; key?: string | null } = {}) {
    const op = rebased.paths[path][method];
    const url = `/api/v1${path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(opts.params![name]))}`;
    const refusedQuery = Object.entries(opts.query ?? {}).flatMap(([name, value]) => {
      const param = op.parameters?.find((p) => p.in === 'query' && p.name === name);
      expect(param, `${method} ${path} documents ?${name}`).to.be.an('object');
      return validate(param!.schema, Array.isArray(value) ? value : String(value), `?${name}`, params);
    });
    let req = supertest(ctx.app)[method](url).query(opts.query ?? {});
    const key = opts.key === undefined ? ctx.apiKey : opts.key;
    if (key) req = req.set('Authorization', `Bearer ${key}`);
    if (opts.raw !== undefined) req = req.type('json').send(opts.raw);
    else if (opts.body !== undefined) req = req.send(opts.body as object);
    const res = await req;
    const documented = op.responses[String(res.status)];
    expect(documented, `${method} ${path} documents ${res.status} (${res.text.slice(0, 300)})`).to.be.an('object');
    if (res.status === 204) {
      expect(documented.content, `${method} ${path} 204 has no body`).to.equal(undefined);
      expect(res.text, `${method} ${path} 204`).to.equal('');
    } else {
      const [type, media] = Object.entries(documented.content ?? {})[0];
      expect(res.type, `${method} ${path} ${res.status}`).to.equal(type);
      expect(validate(media.schema, res.body, 'answer'), `${method} ${path} ${res.status}`).to.deep.equal([]);
    }
    // What the document refuses, the API refuses; what the API takes, the document allows.
    if (refusedQuery.length) expect(res.status, `${method} ${path}: ${refusedQuery.join('; ')}`).to.equal(422);
    if (res.status < 300) expect(refusedQuery, `${method} ${path}: the query it took`).to.deep.equal([]);
    // (A batch takes each event on its own: its events are checked one by one where it is called.)
    if (res.status < 300 && opts.body !== undefined && path !== '/events/batch') {
      expect(validate(op.requestBody!.content['application/json'].schema, opts.body, 'body'), `${method} ${path}: the body it took`).to.deep.equal([]);
    }
    checked.add(`${method.toUpperCase()} ${path} ${res.status}`);
    return res;
  }

  before(async () => {
    ctx = await createTestContext();
    const res = await supertest(ctx.app).get('/api/v1/openapi.json').expect(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    doc = res.body;
    rebased = JSON.parse(JSON.stringify(doc).replaceAll('"#/components/schemas/', `"${BASE}#/$defs/`));
    ajv.addSchema({ $id: BASE, $defs: rebased.components.schemas });
    params.addSchema({ $id: BASE, $defs: rebased.components.schemas });
  });
  after(async () => ctx?.close());

  it('is served without an API key, as OpenAPI 3.1, with no dangling reference', () => {
    expect(doc.openapi).to.match(/^3\.1\./);
    expect(danglingRefs(doc)).to.deep.equal([]);
  });

  it('holds schemas that are valid JSON Schema 2020-12 (every one compiles in strict mode)', () => {
    for (const name of Object.keys(doc.components.schemas)) expect(() => ajv.getSchema(`${BASE}#/$defs/${name}`), name).not.to.throw();
    for (const { op, call: c } of operations(rebased)) {
      for (const [status, r] of Object.entries(op.responses)) for (const m of Object.values(r.content ?? {})) expect(() => ajv.compile(m.schema), `${c} ${status}`).not.to.throw();
    }
  });

  it('documents exactly the calls of API_ROUTE_SCOPES, each with its scope, its 403 and its 401', () => {
    const table = Object.fromEntries(API_ROUTE_SCOPES.map((r) => [`${r.method.toUpperCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`, r.scope]));
    const documented = Object.fromEntries(operations(doc).map(({ call: c, op }) => [c, op['x-required-scope']]));
    expect(documented).to.deep.equal(table);
    for (const { call: c, op } of operations(doc)) {
      const scope = op['x-required-scope'];
      expect(op.security, c).to.deep.equal([{ bearerAuth: [scope] }]);
      expect(op.description, c).to.contain(`the scope \`${scope}\``);
      expect(op.responses['403'].content, c).to.have.key('application/problem+json');
      expect(op.responses['403'].description, c).to.contain(`This API key lacks the scope ${scope}`);
      expect(op.responses['401'].content, c).to.have.key('application/problem+json');
    }
    expect(doc.components.securitySchemes.bearerAuth).to.include({ type: 'http', scheme: 'bearer' });
    expect(doc.security).to.deep.equal([{ bearerAuth: [] }]);
    for (const scope of apiScopes) expect(doc.components.securitySchemes.bearerAuth.description, scope).to.contain(`\`${scope}\``);
  });

  it('names the suppression reasons of server/eligibility/reasons.ts, and the failing fields of a problem', () => {
    expect(doc.components.schemas.EventAnswer.properties.reason.enum).to.deep.equal([...suppressionReasons]);
    expect(doc.components.schemas.Problem.properties).to.have.keys('type', 'title', 'status', 'detail', 'errors');
    expect(doc.components.schemas.Problem.properties.errors.items.required).to.deep.equal(['field', 'message']);
  });

  it('agrees with the API on what a survey and an event may be: what the document refuses, the API refuses naming the field', async () => {
    const survey = rebased.paths['/surveys'].post.requestBody!.content['application/json'].schema;
    const event = rebased.paths['/events'].post.requestBody!.content['application/json'].schema;
    const good = { key: 'limits-nps', touchpoint: 'limits', metric: 'nps' };
    const customer = { id: 'limits-1', email: 'limits@example.com' };
    const cases: [string, Schema, object, string][] = [
      ['/surveys', survey, { ...good, sample_rate: 100.5 }, 'sample_rate'],
      ['/surveys', survey, { ...good, send_delay_minutes: -1 }, 'send_delay_minutes'],
      ['/surveys', survey, { ...good, status: 'live' }, 'status'],
      ['/surveys', survey, { ...good, key: 'Not A Key' }, 'key'],
      ['/surveys', survey, { ...good, max_event_age_days: 0 }, 'max_event_age_days'],
      ['/surveys', survey, { ...good, quiet_hours: { start: '25:00', end: '08:00' } }, 'quiet_hours.start'],
      ['/events', event, { touchpoint: 'limits', transaction_id: '', customer }, 'transaction_id'],
      ['/events', event, { touchpoint: 'limits', transaction_id: 't', customer: { ...customer, locale: 'not a tag' } }, 'customer.locale'],
      ['/events', event, { touchpoint: 'limits', transaction_id: 't', customer, properties: { region: 'x'.repeat(501) } }, 'properties.region'],
    ];
    for (const [path, schema, body, field] of cases) {
      expect(validate(schema, body, 'body'), `the document refuses ${JSON.stringify(body).slice(0, 80)}`).not.to.deep.equal([]);
      const res = await call('post', path, { body });
      expect(res.status, field).to.equal(422);
      expect(res.body.errors.map((e: { field: string }) => e.field), field).to.include(field);
    }
    const tooMany = { events: Array.from({ length: 1001 }, (_, i) => ({ touchpoint: 'limits', transaction_id: `t${i}`, customer })) };
    expect(validate(rebased.paths['/events/batch'].post.requestBody!.content['application/json'].schema, tooMany, 'batch')).not.to.deep.equal([]);
    expect((await call('post', '/events/batch', { body: tooMany })).status).to.equal(422);
  });

  it('describes the real answers of surveys and events, and their errors', async () => {
    const created = await call('post', '/surveys', {
      body: { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active', question: { en: 'How likely?', de: 'Wie wahrscheinlich?' }, public_link: true, quiet_hours: { start: '21:00', end: '08:00' } },
    });
    expect(created.status).to.equal(201);
    await call('post', '/surveys', { body: { key: 'delivery-nps', touchpoint: 'other', metric: 'csat' } }).then((r) => expect(r.status).to.equal(409));
    await call('post', '/surveys', { raw: '{"key": ' }).then((r) => expect(r.status).to.equal(400));
    await createSurvey(ctx.deps.db, { key: 'file-ces', touchpoint: 'support', metric: 'ces', status: 'active' }, ctx.clock.now(), 'file', 'surveys/file-ces.json');
    await createSurvey(ctx.deps.db, { key: 'checkout-csat', touchpoint: 'checkout', metric: 'csat', status: 'active' }, ctx.clock.now());
    await createSurvey(ctx.deps.db, { key: 'draft-nps', touchpoint: 'returns', metric: 'nps' }, ctx.clock.now());
    expect((await call('get', '/surveys', { query: { status: 'active' } })).body.surveys).to.have.length(3);
    expect((await call('get', '/surveys/{key}', { params: { key: 'file-ces' } })).body.source_file).to.equal('surveys/file-ces.json');
    expect((await call('patch', '/surveys/{key}', { params: { key: 'delivery-nps' }, body: { send_delay_minutes: 5, rules: { reminder_after_days: 3 } } })).status).to.equal(200);
    expect((await call('patch', '/surveys/{key}', { params: { key: 'file-ces' }, body: { send_delay_minutes: 5 } })).status).to.equal(409);
    expect((await call('get', '/surveys/{key}', { params: { key: 'nope' } })).status).to.equal(404);
    expect((await call('get', '/surveys', { key: null })).status).to.equal(401);

    const customer = { id: 'buyer-1', email: 'buyer-1@example.com', name: 'Ada', locale: 'de-AT', time_zone: 'Europe/Vienna' };
    const first = { touchpoint: 'delivery', transaction_id: 'order-1', customer, properties: { region: 'north', express: true, items: 2 } };
    expect((await call('post', '/events', { body: first })).body).to.include({ status: 'scheduled' });
    expect((await call('post', '/events', { body: first })).status).to.equal(200);
    const later = await call('post', '/events', { body: { ...first, transaction_id: 'order-2', occurred_at: '2026-11-23T09:00:00Z' } });
    expect(later.body).to.include({ status: 'suppressed' }).and.to.have.property('detail');
    expect((await call('post', '/events', { body: { ...first, touchpoint: 'nowhere' } })).status).to.equal(422);
    const events = [first, { touchpoint: 'returns', transaction_id: 7, customer: { email: 'x@example.com' } }, { touchpoint: 'delivery' }];
    const batch = await call('post', '/events/batch', { body: { events } });
    expect(batch.body.results.map((r: { status: string }) => r.status)).to.deep.equal(['scheduled', 'suppressed', 'invalid']);
    expect(batch.body.results[0]).to.include({ duplicate: true });
    // Each event the batch took is an Event of the document; the one it refused is not.
    const eventSchema = rebased.paths['/events'].post.requestBody!.content['application/json'].schema;
    expect(events.map((e) => validate(eventSchema, e, 'event').length === 0)).to.deep.equal([true, true, false]);
  });

  it('describes the real answers of metrics and responses, for each metric, with change, segments and pages', async () => {
    const surveys = await ctx.deps.db('surveys').select('id', 'key');
    const idOf = (key: string) => surveys.find((s) => s.key === key)!.id as number;
    await writeTransaction(ctx.deps.db, async (trx) => {
      for (let i = 0; i < 70; i++) {
        const answered_at = new Date(Date.UTC(2026, 9, 1 + Math.floor(i / 2.5), 12));
        const properties = { region: i % 3 ? 'north' : 'south' };
        await insertResponse(trx, { survey_id: idOf('delivery-nps'), score: i % 11, comment: i % 7 ? null : 'Fine', channel: 'web', source: 'anonymous', answered_at, properties }, 'UTC');
        if (i % 5 === 0) await insertResponse(trx, { survey_id: idOf('checkout-csat'), score: 1 + (i % 5), channel: 'email', locale: 'en', answered_at, properties }, 'UTC');
        if (i % 5 === 1) await insertResponse(trx, { survey_id: idOf('file-ces'), score: 1 + (i % 7), channel: 'import', answered_at, properties }, 'UTC');
      }
    });
    const period = { from: '2026-10-15', to: '2026-10-28' };
    const nps = await call('get', '/metrics', { query: { survey: 'delivery-nps', ...period, interval: 'week', segment: 'region', where: ['region:north', 'region:south'] } });
    expect(nps.body.change).to.be.an('object');
    expect(nps.body.segments).to.have.keys('north', 'south');
    for (const survey of ['checkout-csat', 'file-ces']) expect((await call('get', '/metrics', { query: { survey, ...period, tz: 'Europe/Berlin', interval: 'day' } })).body.series).not.to.be.empty;
    expect((await call('get', '/metrics', { query: { survey: 'delivery-nps', source: 'identified' } })).body.previous).to.equal(null);
    expect((await call('get', '/metrics', { query: { survey: 'nope' } })).status).to.equal(404);
    expect((await call('get', '/metrics', { query: { survey: 'delivery-nps', interval: 'year' } })).status).to.equal(422);

    const page = await call('get', '/responses', { query: { survey: 'delivery-nps', limit: 20, ...period } });
    expect(page.body.next_cursor).to.be.a('string');
    const next = await call('get', '/responses', { query: { survey: 'delivery-nps', limit: 20, ...period, cursor: page.body.next_cursor } });
    expect(next.body.next_cursor).to.equal(null);
    expect((await call('get', '/responses', { query: { limit: 1000, source: 'identified' } })).body.responses).not.to.be.empty;
    expect((await call('get', '/responses', { query: { limit: 0 } })).status).to.equal(422);
  });

  it('describes the real answers of customers: record, timeline, export and erasure', async () => {
    const db = ctx.deps.db;
    const row = await db('customers').where({ external_id: 'buyer-1' }).first();
    const invitation = await db('invitations').where({ customer_id: row.id }).first();
    const survey = await db('surveys').where({ key: 'delivery-nps' }).first();
    await writeTransaction(db, (trx) =>
      insertResponse(trx, { survey_id: survey.id, invitation_id: invitation.id, customer_id: row.id, score: 9, comment: 'Quick', channel: 'email', locale: 'de', answered_at: ctx.clock.now(), properties: { region: 'north' } }, 'UTC'),
    );
    const at = ctx.clock.now().toISOString();
    await db('customers').where({ id: row.id }).update({ unsubscribed_at: at, bounced_at: at, bounce_reason: '550 no such user' });
    await db('touchpoint_unsubscribes').insert({ customer_id: row.id, touchpoint_id: survey.touchpoint_id, created_at: at });

    const params = { id: 'buyer-1' };
    expect((await call('get', '/customers/{id}', { params })).body).to.include({ id: 'buyer-1', email: 'buyer-1@example.com' });
    const kinds = (await call('get', '/customers/{id}/timeline', { params })).body.timeline.map((e: { kind: string }) => e.kind);
    expect(kinds).to.include.members(['event', 'invitation', 'response', 'unsubscribe', 'bounce']);
    const exported = await call('get', '/customers/{id}/export', { params });
    expect(exported.body.unsubscribes).to.have.length(2);
    expect((await call('post', '/customers/{id}/erase', { params })).body.already_erased).to.equal(false);
    expect((await call('post', '/customers/{id}/erase', { params })).body.already_erased).to.equal(true);
    expect((await call('get', '/customers/{id}/export', { params })).body.actions.map((a: { kind: string }) => a.kind)).to.deep.equal(['erased']);
    expect((await call('get', '/customers/{id}/timeline', { params: { id: 'nobody' } })).status).to.equal(404);

    const { key: narrow } = await createApiKey(db, { name: 'surveys only', scopes: ['surveys:read'] }, ctx.clock.now());
    const refused = await call('get', '/customers/{id}', { params, key: narrow });
    expect(refused.status).to.equal(403);
    expect(refused.body.title).to.equal('This API key lacks the scope customers:read');
  });

  it('describes the real answers of webhooks: subscribe, list, read, change, test, messages, resend, remove', async () => {
    const created = await call('post', '/webhooks', { body: { url: 'https://hooks.example.com/touchpoint', events: ['response.created', 'invitation.sent'], description: 'CRM' } });
    expect(created.status).to.equal(201);
    expect(created.body.secret).to.match(/^whsec_/);
    const params = { id: String(created.body.id) };
    expect((await call('get', '/webhooks')).body.webhooks).to.have.length(1);
    expect((await call('get', '/webhooks/{id}', { params })).body.url).to.equal('https://hooks.example.com/touchpoint');
    expect((await call('patch', '/webhooks/{id}', { params, body: { rotate_secret: true, enabled: false } })).body.secret).to.match(/^whsec_/);
    expect((await call('patch', '/webhooks/{id}', { params, body: { events: ['nothing.happened'] } })).status).to.equal(422);
    expect((await call('post', '/webhooks/{id}/test', { params })).status).to.equal(202);
    const [message] = (await call('get', '/webhooks/{id}/messages', { params })).body.messages;
    expect(message.type).to.equal('webhook.test');
    expect((await call('post', '/webhooks/{id}/messages/{message}/resend', { params: { ...params, message: String(message.id) } })).status).to.equal(202);
    expect((await call('delete', '/webhooks/{id}', { params })).status).to.equal(204);
    expect((await call('get', '/webhooks/{id}', { params })).status).to.equal(404);
  });

  it('describes what each webhook event sends', () => {
    const webhooks = (doc as unknown as { webhooks: Record<string, { post: { requestBody: { content: Record<string, unknown> } } }> }).webhooks;
    expect(Object.keys(webhooks).sort()).to.deep.equal([...webhookEventTypes, 'webhook.test'].sort());
    for (const [type, item] of Object.entries(webhooks)) expect(item.post.requestBody.content, type).to.have.property('application/json');
  });

  it('has checked a real answer of every call, and every kind of error', () => {
    for (const { call: c, op } of operations(doc)) {
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      for (const status of success) expect(checked, `${c} ${status}`).to.include(`${c} ${status}`);
    }
    const errorsSeen = new Set([...checked].map((c) => c.split(' ')[2]).filter((s) => s >= '400'));
    expect([...errorsSeen].sort()).to.deep.equal(['400', '401', '403', '404', '409', '422']);
  });
});
