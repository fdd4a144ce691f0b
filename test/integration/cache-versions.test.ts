import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { withTestContext } from '../helpers/context.ts';
import { apiClient, type ApiClient } from '../helpers/api-client.ts';
import { openDb, type Db } from '../../server/db/knex.ts';
import { createApp } from '../../server/app.ts';
import { getSettings, updateSettings } from '../../server/settings/service.ts';
import { findActiveSurveyForTouchpoint, findTouchpointByKey } from '../../server/surveys/queries.ts';
import { createApiKey, revokeApiKeyById, commandLineManager } from '../../server/apikeys/service.ts';

/** How soon another process must see a change: the versions are read once a second, plus room for a loaded machine. */
const WITHIN_MS = 1200;

/**
 * Waits (polling every 20 ms, real time) until `seen` says yes, and returns how long that took; fails
 * once WITHIN_MS has passed without it.
 */
async function msUntil(seen: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await seen()) return performance.now() - start;
    const elapsed = performance.now() - start;
    if (elapsed > WITHIN_MS) throw new Error(`not seen after ${Math.round(elapsed)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The statements `db` runs while `fn` runs, and how long that took (ms). */
async function statementsOf(db: Db, fn: () => Promise<unknown>): Promise<{ statements: string[]; ms: number }> {
  const statements: string[] = [];
  const listener = (q: { sql: string }) => statements.push(q.sql);
  const start = performance.now();
  db.on('query', listener);
  try {
    await fn();
  } finally {
    db.removeListener('query', listener);
  }
  return { statements, ms: performance.now() - start };
}

describe('what a process caches (settings, surveys, API keys) follows changes: at once here, within a second elsewhere', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  // A second process on the same database: its own knex instance, and an app of its own on it.
  let other: Db;
  let otherApi: ApiClient;

  before(async () => {
    other = openDb(ctx.deps.config.databaseUrl);
    otherApi = apiClient(createApp({ ...ctx.deps, db: other }), ctx.apiKey);
    await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }).expect(201);
  });
  after(async () => {
    await other?.destroy();
  });

  let seq = 0;
  const event = () => ({ touchpoint: 'delivery', transaction_id: `cache-${++seq}`, customer: { email: `cache-${seq}@example.com` } });

  it('reads nothing again while nothing changes (the versions at most once a second)', async () => {
    const touchpoint = (await findTouchpointByKey(other, 'delivery'))!;
    await getSettings(other);
    await findActiveSurveyForTouchpoint(other, touchpoint.id);
    await otherApi.get('/api/v1/surveys').expect(200);
    const { statements, ms } = await statementsOf(other, async () => {
      for (let i = 0; i < 20; i++) {
        await getSettings(other);
        await findTouchpointByKey(other, 'delivery');
        await findActiveSurveyForTouchpoint(other, touchpoint.id);
        await otherApi.get('/api/v1/surveys').expect(200);
      }
    });
    // 20 calls each: only the list of surveys itself is read every time, and the versions once a second at most.
    const rest = statements.filter((sql) => !/cache_versions/.test(sql));
    expect(statements.length - rest.length, statements.join('\n')).to.be.at.most(1 + Math.floor(ms / 1000));
    expect(rest.filter((sql) => /from [`"](settings|touchpoints|api_keys)[`"]/.test(sql) || /[`"]status[`"] = \?/.test(sql)), rest.join('\n')).to.deep.equal([]);
  });

  it('a settings change is seen at once by the process that made it, and by another within a second', async () => {
    expect((await getSettings(ctx.deps.db)).reporting_time_zone).to.equal('UTC');
    expect((await getSettings(other)).reporting_time_zone).to.equal('UTC');

    await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
    expect((await getSettings(ctx.deps.db)).reporting_time_zone).to.equal('Europe/Berlin');
    const ms = await msUntil(async () => (await getSettings(other)).reporting_time_zone === 'Europe/Berlin');
    expect(ms).to.be.below(WITHIN_MS);

    // And back, through the other process this time.
    await updateSettings(other, { reporting_time_zone: 'UTC' });
    expect((await getSettings(other)).reporting_time_zone).to.equal('UTC');
    await msUntil(async () => (await getSettings(ctx.deps.db)).reporting_time_zone === 'UTC');
  });

  it('the settings returned are frozen: a caller cannot change what every other caller sees', async () => {
    const settings = await getSettings(ctx.deps.db);
    expect(() => {
      (settings as { sender_name: string }).sender_name = 'changed';
    }).to.throw(TypeError);
    expect(() => {
      (settings.contact_rules as { cap: unknown }).cap = null;
    }).to.throw(TypeError);
    expect((await getSettings(ctx.deps.db)).sender_name).to.equal('');
  });

  it('a survey paused through one process takes no events there at once, and none in the other within a second', async () => {
    // Both processes have the touchpoint and its active survey in memory.
    expect((await ctx.api.post('/api/v1/events').send(event()).expect(202)).body.status).to.equal('scheduled');
    expect((await otherApi.post('/api/v1/events').send(event()).expect(202)).body.status).to.equal('scheduled');

    await ctx.api.patch('/api/v1/surveys/delivery-nps').send({ status: 'paused' }).expect(200);
    expect((await ctx.api.post('/api/v1/events').send(event()).expect(202)).body).to.include({ status: 'suppressed', reason: 'no_active_survey' });
    await msUntil(async () => (await otherApi.post('/api/v1/events').send(event()).expect(202)).body.reason === 'no_active_survey');

    // Active again, through the other process: seen there at once, here within a second.
    await otherApi.patch('/api/v1/surveys/delivery-nps').send({ status: 'active' }).expect(200);
    expect((await otherApi.post('/api/v1/events').send(event()).expect(202)).body.status).to.equal('scheduled');
    await msUntil(async () => (await ctx.api.post('/api/v1/events').send(event()).expect(202)).body.status === 'scheduled');
  });

  it('a new touchpoint is found at once by the process that made it, and by another within a second', async () => {
    await otherApi.post('/api/v1/events').send({ ...event(), touchpoint: 'returns' }).expect(422);
    await ctx.api.post('/api/v1/surveys').send({ key: 'returns-csat', touchpoint: 'returns', metric: 'csat', status: 'active' }).expect(201);
    expect((await ctx.api.post('/api/v1/events').send({ ...event(), touchpoint: 'returns' }).expect(202)).body.status).to.equal('scheduled');
    await msUntil(async () => (await otherApi.post('/api/v1/events').send({ ...event(), touchpoint: 'returns' })).status === 202);
  });

  it('a revoked API key is refused at once by the process that revoked it, and by another within a second', async () => {
    const { id, key } = await createApiKey(ctx.deps.db, { name: 'leaving' }, ctx.clock.now());
    const here = ctx.api.withKey(key);
    const there = otherApi.withKey(key);
    await here.get('/api/v1/surveys').expect(200);
    await there.get('/api/v1/surveys').expect(200);

    await revokeApiKeyById(ctx.deps.db, id, ctx.clock.now(), commandLineManager);
    await here.get('/api/v1/surveys').expect(401);
    const ms = await msUntil(async () => (await there.get('/api/v1/surveys')).status === 401);
    expect(ms).to.be.below(WITHIN_MS);
    // The key the tests use still works in both.
    await ctx.api.get('/api/v1/surveys').expect(200);
    await otherApi.get('/api/v1/surveys').expect(200);
  });

  it('noting a key used (at most once a minute) moves no version: the other process keeps its keys', async () => {
    await otherApi.get('/api/v1/surveys').expect(200);
    const before = await ctx.deps.db('cache_versions').where({ name: 'api_keys' }).first('version');
    ctx.clock.advance(5 * 60_000);
    await ctx.api.get('/api/v1/surveys').expect(200);
    expect((await ctx.deps.db('api_keys').where({ name: 'tests' }).first()).last_used_at).to.equal(ctx.clock.now().toISOString());
    expect(await ctx.deps.db('cache_versions').where({ name: 'api_keys' }).first('version')).to.deep.equal(before);
    // Within the same minute: no second write, and the key is still known here (not read again). A version
    // check that falls due first (the revocation before moved the version) may read the keys once more: let it pass.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await ctx.api.get('/api/v1/surveys').expect(200);
    const { statements } = await statementsOf(ctx.deps.db, () => ctx.api.get('/api/v1/surveys').expect(200));
    expect(statements.filter((sql) => /api_keys/.test(sql))).to.deep.equal([]);
  });

  it('a direct write to a cached table through this process is seen here at once (as tests and scripts do)', async () => {
    expect((await getSettings(ctx.deps.db)).sender_name).to.equal('');
    await ctx.deps.db('settings').insert({ key: 'sender_name', value: JSON.stringify('Acme') });
    expect((await getSettings(ctx.deps.db)).sender_name).to.equal('Acme');
  });
});

describe('one cache per database: two test contexts in one process do not share what they cache', function () {
  this.timeout(60_000);
  const first = withTestContext();
  const second = withTestContext();

  it('a setting changed in one is not seen in the other', async () => {
    await updateSettings(first.deps.db, { sender_name: 'First' });
    expect((await getSettings(first.deps.db)).sender_name).to.equal('First');
    expect((await getSettings(second.deps.db)).sender_name).to.equal('');
  });
});
