import { expect } from 'chai';
import supertest from 'supertest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { MINUTE } from '../../server/clock.ts';

const keyOnPage = (html: string) => /id="new-key"[^>]*value="(tp_[A-Za-z0-9_-]+)"/.exec(html)?.[1];

describe('API keys', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await createTestContext();
  });
  afterEach(async () => ctx.close());

  it('an editor creates a key, sees it once, and it works; only its hash is stored', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    const created = await agent.post('/api-keys').type('form').send({ name: 'Shop backend', _csrf: csrf }).expect(201);
    expect(created.headers['cache-control']).to.contain('no-store');
    expect(created.text).to.contain('shown only this once');
    const key = keyOnPage(created.text);
    expect(key).to.be.a('string');

    const row = await ctx.deps.db('api_keys').where({ name: 'Shop backend' }).first();
    expect(row.key_hash).not.to.equal(key);
    expect(JSON.stringify(await ctx.deps.db('api_keys').select())).not.to.contain(key!);
    expect(key!.startsWith(row.prefix)).to.equal(true);

    const list = await agent.get('/api-keys').expect(200);
    expect(list.text).to.contain('Shop backend');
    expect(list.text).to.contain(`${row.prefix}…`);
    expect(list.text).not.to.contain(key!);

    await supertest(ctx.app).get('/api/v1/openapi.json').expect(200);
    const res = await supertest(ctx.app).get('/api/v1/surveys').set('Authorization', `Bearer ${key}`);
    expect(res.status).not.to.equal(401);
  });

  it('a key needs a name; the error is beside the field', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    const res = await agent.post('/api-keys').type('form').send({ name: '   ', _csrf: csrf }).expect(422);
    expect(res.text).to.match(/id="f-name-error"[^>]*>must not be empty/);
    expect(keyOnPage(res.text)).to.equal(undefined);
  });

  it('the API refuses no key, a wrong key and a revoked key with 401 problem+json', async () => {
    const api = supertest(ctx.app);
    const check = async (res: supertest.Response) => {
      expect(res.status).to.equal(401);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).to.equal('Bearer');
      expect(res.body).to.include({ status: 401 });
      expect(res.body.title).to.be.a('string');
    };
    await check(await api.get('/api/v1/surveys'));
    await check(await api.get('/api/v1/surveys').set('Authorization', 'Bearer tp_not-a-real-key'));
    await check(await api.get('/api/v1/surveys').set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`));
    await check(await api.post('/api/v1/events').set('Authorization', `Bearer ${ctx.apiKey}x`).send({}));

    // Revoked on the page: refused from then on.
    await api.get('/api/v1/surveys').set('Authorization', `Bearer ${ctx.apiKey}`).expect((r) => expect(r.status).not.to.equal(401));
    const { agent, csrf } = await ctx.signIn('editor');
    const row = await ctx.deps.db('api_keys').where({ name: 'tests' }).first();
    const revoked = await agent.post(`/api-keys/${row.id}/revoke`).type('form').send({ _csrf: csrf }).expect(303);
    expect(revoked.headers.location).to.equal('/api-keys');
    const list = await agent.get('/api-keys').expect(200);
    expect(list.text).to.contain('is revoked');
    expect(list.text).to.match(/Revoked 23 Nov 2026, 10:00 UTC/);
    await check(await api.get('/api/v1/surveys').set('Authorization', `Bearer ${ctx.apiKey}`));
    expect((await ctx.deps.db('api_keys').where({ id: row.id }).first()).revoked_at).to.equal(ctx.clock.now().toISOString());
  });

  it('records when a key was last used', async () => {
    const api = supertest(ctx.app);
    const lastUsed = async () => (await ctx.deps.db('api_keys').where({ name: 'tests' }).first()).last_used_at;
    expect(await lastUsed()).to.equal(null);
    await api.get('/api/v1/surveys').set('Authorization', `Bearer ${ctx.apiKey}`);
    expect(await lastUsed()).to.equal(ctx.clock.now().toISOString());
    ctx.clock.advance(5 * MINUTE);
    await api.get('/api/v1/surveys').set('Authorization', `Bearer ${ctx.apiKey}`);
    expect(await lastUsed()).to.equal(ctx.clock.now().toISOString());
    const { agent } = await ctx.signIn('editor');
    const list = await agent.get('/api-keys').expect(200);
    expect(list.text).to.contain('23 Nov 2026, 10:05 UTC');
  });

  it('revoking an unknown key is 404; viewers cannot see the page', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    await agent.post('/api-keys/999999/revoke').type('form').send({ _csrf: csrf }).expect(404);
    await agent.post('/api-keys/abc/revoke').type('form').send({ _csrf: csrf }).expect(404);
    const viewer = await ctx.signIn('viewer');
    await viewer.agent.get('/api-keys').expect(403);
  });
});
