import crypto from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { createApiKey } from '../../server/apikeys/service.ts';
import { apiScopes, type ApiScope } from '../../server/apikeys/scopes.ts';
import { API_ROUTE_SCOPES } from '../../server/api.ts';
import * as scopesMigration from '../../migrations/20261203102000_add_api_key_scopes_owner_expiry.ts';

/** One API call with a body that succeeds for a key with its scope; `n` keeps created things apart. */
interface Call {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** The path as in API_ROUTE_SCOPES, to find its scope in the table. */
  route: string;
  url: (n: number) => string;
  body?: (n: number) => object;
  ok: number[];
}

const calls: Call[] = [
  { method: 'get', route: '/surveys', url: () => '/api/v1/surveys', ok: [200] },
  { method: 'post', route: '/surveys', url: () => '/api/v1/surveys', body: (n) => ({ key: `made-${n}`, touchpoint: `made-${n}`, metric: 'csat' }), ok: [201] },
  { method: 'get', route: '/surveys/:key', url: () => '/api/v1/surveys/delivery-nps', ok: [200] },
  { method: 'patch', route: '/surveys/:key', url: () => '/api/v1/surveys/delivery-nps', body: () => ({ send_delay_minutes: 5 }), ok: [200] },
  {
    method: 'post',
    route: '/events',
    url: () => '/api/v1/events',
    body: (n) => ({ touchpoint: 'delivery', transaction_id: `single-${n}`, customer: { id: `buyer-${n}`, email: `buyer-${n}@example.com` } }),
    ok: [202],
  },
  {
    method: 'post',
    route: '/events/batch',
    url: () => '/api/v1/events/batch',
    body: (n) => ({ events: [{ touchpoint: 'delivery', transaction_id: `batch-${n}`, customer: { id: `batch-buyer-${n}`, email: `batch-${n}@example.com` } }] }),
    ok: [200],
  },
  { method: 'get', route: '/metrics', url: () => '/api/v1/metrics?survey=delivery-nps', ok: [200] },
  { method: 'get', route: '/responses', url: () => '/api/v1/responses', ok: [200] },
  { method: 'get', route: '/customers/:id', url: (n) => `/api/v1/customers/known-${n}`, ok: [200] },
  { method: 'get', route: '/customers/:id/timeline', url: (n) => `/api/v1/customers/known-${n}/timeline`, ok: [200] },
  { method: 'get', route: '/customers/:id/export', url: (n) => `/api/v1/customers/known-${n}/export`, ok: [200] },
  { method: 'post', route: '/customers/:id/erase', url: (n) => `/api/v1/customers/known-${n}/erase`, ok: [200] },
  { method: 'post', route: '/webhooks', url: () => '/api/v1/webhooks', body: () => ({ url: 'https://hooks.example.com/touchpoint', events: ['response.created'] }), ok: [201] },
  { method: 'get', route: '/webhooks', url: () => '/api/v1/webhooks', ok: [200] },
  { method: 'get', route: '/webhooks/:id', url: (n) => `/api/v1/webhooks/${known.get(n)!.endpoint}`, ok: [200] },
  { method: 'patch', route: '/webhooks/:id', url: (n) => `/api/v1/webhooks/${known.get(n)!.endpoint}`, body: () => ({ description: 'changed' }), ok: [200] },
  { method: 'post', route: '/webhooks/:id/test', url: (n) => `/api/v1/webhooks/${known.get(n)!.endpoint}/test`, ok: [202] },
  { method: 'get', route: '/webhooks/:id/messages', url: (n) => `/api/v1/webhooks/${known.get(n)!.endpoint}/messages`, ok: [200] },
  {
    method: 'post',
    route: '/webhooks/:id/messages/:message/resend',
    url: (n) => `/api/v1/webhooks/${known.get(n)!.endpoint}/messages/${known.get(n)!.message}/resend`,
    ok: [202],
  },
  { method: 'delete', route: '/webhooks/:id', url: (n) => `/api/v1/webhooks/${known.get(n)!.endpoint}`, ok: [204] },
];

/** Per `n`: the webhook endpoint and message knownCustomer made. */
const known = new Map<number, { endpoint: number; message: number }>();

const scopeOf = (call: Call): ApiScope => {
  const entry = API_ROUTE_SCOPES.find((r) => r.method === call.method && r.path === call.route);
  if (!entry) throw new Error(`no scope for ${call.method} ${call.route}`);
  return entry.scope;
};

describe('API key scopes', () => {
  const ctx = withTestContext();
  let n = 0;
  before(async () => {
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
  });

  const send = (call: Call, key: string, i: number) => {
    const req = ctx.api.withKey(key)[call.method](call.url(i));
    return call.body ? req.send(call.body(i)) : req;
  };
  /** A customer `known-N`, and a webhook endpoint with a test message, made through the API with the full key. */
  const knownCustomer = async (i: number) => {
    await ctx.api
      .post('/api/v1/events')
      .send({ touchpoint: 'delivery', transaction_id: `known-${i}`, customer: { id: `known-${i}`, email: `known-${i}@example.com` } })
      .expect(202);
    const endpoint = (await ctx.api.post('/api/v1/webhooks').send({ url: `https://hooks.example.com/known-${i}`, events: ['invitation.sent'] }).expect(201)).body.id;
    const { message_id } = (await ctx.api.post(`/api/v1/webhooks/${endpoint}/test`).expect(202)).body;
    known.set(i, { endpoint, message: (await ctx.deps.db('webhook_messages').where({ message_id }).first()).id });
  };
  const keyWith = async (scopes: ApiScope[] | string) => (await createApiKey(ctx.deps.db, { name: `key ${++n}`, scopes }, ctx.clock.now())).key;

  it('the table covers every call once, with a known scope', () => {
    const seen = new Set(API_ROUTE_SCOPES.map((r) => `${r.method} ${r.path}`));
    expect(seen.size).to.equal(API_ROUTE_SCOPES.length);
    for (const r of API_ROUTE_SCOPES) expect(apiScopes, `${r.method} ${r.path}`).to.include(r.scope);
    expect(calls.map((c) => `${c.method} ${c.route}`).sort()).to.deep.equal([...seen].sort());
  });

  it('a key with only metrics:read gets 403 naming the scope on every other call, and 200 on metrics', async () => {
    const key = await keyWith(['metrics:read']);
    const i = ++n;
    await knownCustomer(i);
    for (const call of calls) {
      const res = await send(call, key, i);
      const what = `${call.method.toUpperCase()} ${call.url(i)}`;
      const scope = scopeOf(call);
      if (scope === 'metrics:read') {
        expect(res.status, what).to.equal(200);
        continue;
      }
      expect(res.status, what).to.equal(403);
      expect(res.headers['content-type'], what).to.match(/^application\/problem\+json/);
      expect(res.body.title, what).to.equal(`This API key lacks the scope ${scope}`);
      expect(res.body.type, what).to.equal('https://touchpoint.dev/problems/missing-scope');
      expect(res.body.detail, what).to.contain(scope).and.to.contain('metrics:read');
      expect(res.body.errors, what).to.deep.equal([{ field: 'scope', message: `This call needs the scope ${scope}.` }]);
      expect(res.headers['www-authenticate'], what).to.equal(`Bearer error="insufficient_scope", scope="${scope}"`);
    }
    // The refused calls changed nothing.
    expect(await ctx.deps.db('surveys').where({ key: `made-${i}` }).first()).to.equal(undefined);
    expect((await ctx.deps.db('surveys').where({ key: 'delivery-nps' }).first()).send_delay_minutes).to.equal(0);
    expect(await ctx.deps.db('events').where({ transaction_id: `single-${i}` }).first()).to.equal(undefined);
    expect((await ctx.deps.db('customers').where({ external_id: `known-${i}` }).first()).erased_at).to.equal(null);
  });

  it('is refused before the body is read: a bad body still answers 403, not 400 or 422', async () => {
    const key = await keyWith(['metrics:read']);
    const res = await ctx.api.withKey(key).post('/api/v1/events').type('json').send('{not json');
    expect(res.status).to.equal(403);
    expect(res.body.title).to.equal('This API key lacks the scope events:write');
  });

  for (const scope of apiScopes) {
    it(`a key with only ${scope} may make exactly the calls that need it`, async () => {
      const key = await keyWith([scope]);
      const i = ++n;
      await knownCustomer(i);
      for (const call of calls) {
        const res = await send(call, key, i);
        const what = `${scope}: ${call.method.toUpperCase()} ${call.url(i)} → ${res.status} ${res.text.slice(0, 200)}`;
        if (scopeOf(call) === scope) expect(call.ok, what).to.include(res.status);
        else expect(res.status, what).to.equal(403);
      }
    });
  }

  it('a key with every scope (made without naming any) works on every call', async () => {
    for (const key of [ctx.apiKey, await keyWith(apiScopes.join(','))]) {
      const i = ++n;
      await knownCustomer(i);
      for (const call of calls) {
        const res = await send(call, key, i);
        expect(call.ok, `${call.method.toUpperCase()} ${call.url(i)} → ${res.status} ${res.text.slice(0, 200)}`).to.include(res.status);
      }
    }
    expect((await ctx.deps.db('api_keys').where({ name: 'tests' }).first()).scopes).to.equal(apiScopes.join(' '));
  });

  it('a key made before scopes existed keeps every scope after the migration', async () => {
    const { db } = ctx.deps;
    await scopesMigration.down(db);
    expect(await db.schema.hasColumn('api_keys', 'scopes')).to.equal(false);
    const legacy = `tp_${crypto.randomBytes(24).toString('base64url')}`;
    await db('api_keys').insert({
      name: 'legacy',
      prefix: legacy.slice(0, 10),
      key_hash: crypto.createHash('sha256').update(legacy).digest('hex'),
      created_at: ctx.clock.now().toISOString(),
    });
    await scopesMigration.up(db);
    const row = await db('api_keys').where({ name: 'legacy' }).first();
    expect(row.scopes).to.equal(apiScopes.join(' '));
    expect(row.created_by_label).to.equal(null);
    expect(row.expires_at).to.equal(null);

    const i = ++n;
    await knownCustomer(i);
    for (const call of calls) {
      const res = await send(call, legacy, i);
      expect(call.ok, `${call.method.toUpperCase()} ${call.url(i)} → ${res.status} ${res.text.slice(0, 200)}`).to.include(res.status);
    }
    // The page shows it with every scope and no owner; only admins may revoke it.
    const { agent } = await ctx.signIn('admin');
    const page = await agent.get('/api-keys').expect(200);
    const rowHtml = page.text.split('<tr').find((r) => r.includes('>legacy</a>'))!;
    expect(rowHtml).to.contain('All scopes');
    expect(rowHtml).to.contain('not recorded');
  });
});

describe('unknown API paths', () => {
  const ctx = withTestContext();

  const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;
  const unknown = ['/api/v1/nothing', '/api/v1/surveys/delivery-nps/extra', '/api/v1/', '/api/v1/login', '/api/v1/api-keys', '/api/v1/events/batch/1'];

  it('answer 404 problem+json whatever the method, with a valid key (never the CSRF check of the pages)', async () => {
    for (const url of unknown) {
      for (const method of methods) {
        for (const body of [undefined, { name: 'x' }]) {
          let req = ctx.api[method](url);
          if (body) req = req.send(body);
          const res = await req;
          const what = `${method.toUpperCase()} ${url}${body ? ' with a body' : ''}`;
          expect(res.status, what).to.equal(404);
          expect(res.headers['content-type'], what).to.match(/^application\/problem\+json/);
          expect(res.body, what).to.include({ status: 404, type: 'https://touchpoint.dev/problems/unknown-api-path', title: 'There is no API call at this address' });
          expect(res.text, what).not.to.contain('The form has expired');
        }
      }
      await ctx.api.head(url).expect(404);
    }
  });

  it('answer 401 without a valid key: nobody learns which addresses exist', async () => {
    for (const url of unknown) {
      for (const method of methods) {
        const res = await supertest(ctx.app)[method](url).send({});
        expect(res.status, `${method} ${url}`).to.equal(401);
        expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      }
    }
  });

  it('a known address with another method answers 405 with Allow', async () => {
    const del = await ctx.api.delete('/api/v1/surveys').expect(405);
    expect(del.headers.allow).to.equal('GET, HEAD, POST');
    expect(del.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(del.body.title).to.equal('DELETE is not allowed at this address');
    const put = await ctx.api.put('/api/v1/events', {}).expect(405);
    expect(put.headers.allow).to.equal('POST');
    const doc = await ctx.api.post('/api/v1/openapi.json').expect(405);
    expect(doc.headers.allow).to.equal('GET, HEAD');
  });
});
