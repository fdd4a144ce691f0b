import { expect } from 'chai';
import supertest from 'supertest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { API_ROUTE_SCOPES } from '../../server/api.ts';
import { apiScopes } from '../../server/apikeys/scopes.ts';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { description?: string; security?: unknown; 'x-required-scope'?: string; responses?: Record<string, { description?: string; content?: Record<string, { schema: unknown }> }> }>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; description?: string }>; schemas: Record<string, { properties?: Record<string, any>; required?: string[] }> };
  security: Record<string, unknown>[];
};

/** Every $ref in the document points at something in it. */
function danglingRefs(doc: unknown): string[] {
  const bad: string[] = [];
  const resolve = (ref: string) => ref.slice(2).split('/').reduce<any>((node, part) => node?.[part], doc);
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && resolve(v) === undefined) bad.push(v);
        else walk(v);
      }
    }
  };
  walk(doc);
  return bad;
}

describe('OpenAPI document', () => {
  let ctx: TestContext;
  let doc: Doc;
  before(async () => {
    ctx = await createTestContext();
    const res = await supertest(ctx.app).get('/api/v1/openapi.json').expect(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    doc = res.body;
  });
  after(async () => ctx.close());

  it('is served without an API key, as OpenAPI 3.1', () => {
    expect(doc.openapi).to.match(/^3\.1\./);
  });

  it('covers every call of the JSON API', () => {
    const calls = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((m) => ['get', 'post', 'patch', 'put', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(calls).to.include.members([
      'GET /surveys',
      'POST /surveys',
      'GET /surveys/{key}',
      'PATCH /surveys/{key}',
      'POST /events',
      'POST /events/batch',
      'GET /metrics',
      'GET /responses',
      'GET /customers/{id}/timeline',
    ]);
  });

  it('says how to authenticate: a bearer key on every call', () => {
    expect(doc.components.securitySchemes.bearerAuth).to.include({ type: 'http', scheme: 'bearer' });
    expect(doc.security).to.deep.equal([{ bearerAuth: [] }]);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') continue;
        expect(op.responses?.['401'], `${method} ${path} documents 401`).to.be.an('object');
      }
    }
  });

  it('describes errors as problem+json with the failing fields', () => {
    const problem = doc.components.schemas.Problem;
    expect(problem.properties).to.have.keys('type', 'title', 'status', 'detail', 'errors');
    expect(problem.properties!.errors.items.required).to.deep.equal(['field', 'message']);
    const created = doc.paths['/events'].post.responses!['422'];
    expect(created.content).to.have.key('application/problem+json');
  });

  it('names every field a metrics answer holds, and the answer holds every field it requires', async () => {
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
    const res = await supertest(ctx.app)
      .get('/api/v1/metrics?survey=delivery-nps&from=2026-11-01&to=2026-11-07&segment=region&where=region:north')
      .set('Authorization', `Bearer ${ctx.apiKey}`)
      .expect(200);
    const schema = doc.components.schemas.Metrics;
    expect(Object.keys(res.body).sort()).to.deep.equal(Object.keys(schema.properties!).sort());
    for (const field of schema.required!) expect(res.body, field).to.have.property(field);
    expect(doc.components.schemas.ResponseRate.required!.sort()).to.deep.equal(Object.keys(res.body.response_rate).sort());
  });

  it('has no dangling references', () => {
    expect(danglingRefs(doc)).to.deep.equal([]);
  });

  it('documents calls that answer (with a key, none is 404 for want of a route)', async () => {
    const api = supertest(ctx.app);
    const probes: [string, string][] = [
      ['get', '/api/v1/surveys'],
      ['get', '/api/v1/metrics?survey=none'],
      ['get', '/api/v1/responses'],
      ['get', '/api/v1/customers/nobody/timeline'],
      ['post', '/api/v1/events'],
      ['post', '/api/v1/events/batch'],
    ];
    for (const [method, url] of probes) {
      const res = await (api as any)[method](url).set('Authorization', `Bearer ${ctx.apiKey}`).send({});
      expect(res.status, `${method} ${url}`).to.be.within(200, 499);
      expect(res.status, `${method} ${url}`).not.to.equal(401);
      if (res.status === 404) expect(res.body.title, `${method} ${url}`).not.to.equal('There is nothing at this address');
      if (res.status === 404) expect(res.body.type, `${method} ${url}`).not.to.equal('https://touchpoint.dev/problems/unknown-api-path');
    }
  });

  it('names the scope of every call, the same as the API enforces, and documents the 403', () => {
    const table = Object.fromEntries(API_ROUTE_SCOPES.map((r) => [`${r.method.toUpperCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`, r.scope]));
    const documented: Record<string, unknown> = {};
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') continue;
        const call = `${method.toUpperCase()} ${path}`;
        const scope = op['x-required-scope'];
        documented[call] = scope;
        expect(op.security, call).to.deep.equal([{ bearerAuth: [scope] }]);
        expect(op.description, call).to.contain(`the scope \`${scope}\``);
        expect(op.responses?.['403']?.content, call).to.have.key('application/problem+json');
        expect(op.responses?.['403']?.description, call).to.contain(`This API key lacks the scope ${scope}`);
      }
    }
    expect(documented).to.deep.equal(table);
    const scheme = doc.components.securitySchemes.bearerAuth.description!;
    for (const scope of apiScopes) expect(scheme, scope).to.contain(`\`${scope}\``);
    expect(scheme).to.contain('customers:write');
  });
});
