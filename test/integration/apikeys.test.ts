import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContextPerTest } from '../helpers/context.ts';
import { MINUTE } from '../../server/clock.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { updateSettings } from '../../server/settings/service.ts';
import { apiScopes } from '../../server/apikeys/scopes.ts';
import { revokeApiKeysOfUser } from '../../server/apikeys/service.ts';

const keyOnPage = (html: string) => /id="new-key"[^>]*value="(tp_[A-Za-z0-9_-]+)"/.exec(html)?.[1];

/** A form body as a browser sends it: repeated names for several checkboxes. */
function form(fields: Record<string, string | string[] | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) params.append(name, v);
  }
  return params.toString();
}

/** The scopes of the create form's checkboxes, as the page offers them: [scope, checked, disabled]. */
function offeredScopes(html: string): { scope: string; checked: boolean; disabled: boolean }[] {
  return [...html.matchAll(/<input id="f-scope-[^"]+" name="scopes" type="checkbox" value="([^"]+)"([^>]*)>/g)].map((m) => ({
    scope: m[1],
    checked: / checked/.test(m[2]),
    disabled: / disabled/.test(m[2]),
  }));
}

/** The row of a key in the table on /api-keys. */
const rowOf = (html: string, name: string) => html.split('<tr').find((r) => r.includes(`>${name}</a>`)) ?? '';

const editorScopes = apiScopes.filter((s) => s !== 'customers:write');

describe('API keys', () => {
  const ctx = withTestContextPerTest();
  const auditLines = (action: string) => ctx.deps.db('audit_log').where({ action }).orderBy('id');

  it('an editor creates a key with the scopes the page offers, sees it once, and it works; only its hash is stored', async () => {
    const { agent, csrf, email } = await ctx.signIn('editor');
    const page = await agent.get('/api-keys').expect(200);
    const offered = offeredScopes(page.text);
    expect(offered.map((o) => o.scope)).to.deep.equal([...apiScopes]);
    // An editor can only pick narrower scopes: customers:write is there, disabled, unchecked.
    for (const o of offered) expect(o, o.scope).to.include(o.scope === 'customers:write' ? { checked: false, disabled: true } : { checked: true, disabled: false });
    expect(page.text).to.contain('Existing keys keep working with every scope until an admin narrows them');

    const chosen = offered.filter((o) => o.checked).map((o) => o.scope);
    const created = await agent.post('/api-keys').type('form').send(form({ name: 'Shop backend', scopes_form: '1', scopes: chosen, _csrf: csrf })).expect(201);
    expect(created.headers['cache-control']).to.contain('no-store');
    expect(created.text).to.contain('shown only this once');
    const key = keyOnPage(created.text);
    expect(key).to.be.a('string');

    const row = await ctx.deps.db('api_keys').where({ name: 'Shop backend' }).first();
    expect(row.key_hash).not.to.equal(key);
    expect(JSON.stringify(await ctx.deps.db('api_keys').select())).not.to.contain(key!);
    expect(key!.startsWith(row.prefix)).to.equal(true);
    expect(row.scopes).to.equal(editorScopes.join(' '));
    expect(row.created_by_user_id).to.equal((await ctx.deps.db('users').where({ email }).first()).id);
    expect(row.created_by_label).to.equal(email);

    const list = await agent.get('/api-keys').expect(200);
    const shown = rowOf(list.text, 'Shop backend');
    expect(shown).to.contain(`${row.prefix}…`);
    expect(shown).to.contain(email);
    expect(shown).to.contain('<code>events:write</code>');
    expect(shown).not.to.contain('customers:write');
    expect(shown).to.contain('never');
    expect(shown).to.contain('Active');
    expect(rowOf(list.text, 'tests')).to.contain('command line');
    expect(rowOf(list.text, 'tests')).to.contain('All scopes');
    expect(list.text).not.to.contain(key!);

    await supertest(ctx.app).get('/api/v1/openapi.json').expect(200);
    await ctx.api.withKey(key!).get('/api/v1/surveys').expect(200);
    const erase = await ctx.api.withKey(key!).post('/api/v1/customers/anyone/erase').expect(403);
    expect(erase.body.title).to.equal('This API key lacks the scope customers:write');

    const [line] = await auditLines('apikey.created').where({ target_id: String(row.id) });
    expect(line).to.include({ actor_type: 'user', actor_label: email, target_type: 'api_key', target_label: 'Shop backend' });
    expect(JSON.parse(line.detail)).to.deep.include({ scopes: editorScopes, expires_at: null, prefix: row.prefix, owner: email });
    expect(JSON.stringify(await ctx.deps.db('audit_log').select())).not.to.contain(key!);
  });

  it('an admin gets every scope checked and creates a key that erases and exports customers', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const offered = offeredScopes((await agent.get('/api-keys').expect(200)).text);
    for (const o of offered) expect(o, o.scope).to.include({ checked: true, disabled: false });
    const created = await agent.post('/api-keys').type('form').send(form({ name: 'privacy desk', scopes_form: '1', scopes: ['customers:write'], _csrf: csrf })).expect(201);
    const key = keyOnPage(created.text)!;
    expect((await ctx.deps.db('api_keys').where({ name: 'privacy desk' }).first()).scopes).to.equal('customers:write');
    await ctx.api.withKey(key).get('/api/v1/customers/nobody/export').expect(404);
    await ctx.api.withKey(key).get('/api/v1/surveys').expect(403);
    // A script that posts no scope fields at all gets every scope, as before scopes existed.
    await agent.post('/api-keys').type('form').send({ name: 'script', _csrf: csrf }).expect(201);
    expect((await ctx.deps.db('api_keys').where({ name: 'script' }).first()).scopes).to.equal(apiScopes.join(' '));
  });

  it('an editor cannot create a key with customers:write, on the form or any other way', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    const count = async () => Number((await ctx.deps.db('api_keys').count({ n: '*' }).first())!.n);
    const before = await count();

    const asked = await agent.post('/api-keys').type('form').send(form({ name: 'sneaky', scopes_form: '1', scopes: ['events:write', 'customers:write'], _csrf: csrf })).expect(422);
    expect(asked.text).to.match(/id="f-scopes-error"[^>]*>Scopes must not include customers:write \(export and erase customers\): only an admin can give a key that scope\./);
    expect(keyOnPage(asked.text)).to.equal(undefined);
    // The form keeps what was chosen (customers:write stays off for an editor).
    expect(offeredScopes(asked.text).filter((o) => o.checked).map((o) => o.scope)).to.deep.equal(['events:write']);

    // No scope fields at all means every scope: refused for an editor too.
    const all = await agent.post('/api-keys').type('form').send({ name: 'sneaky', _csrf: csrf }).expect(422);
    expect(all.text).to.contain('every scope includes customers:write');
    // JSON with the CSRF header: the pages read forms only, so nothing is created either.
    await agent.post('/api-keys').set('x-csrf-token', csrf).send({ name: 'sneaky', scopes: ['customers:write'] }).expect(422);
    // A single scope field (not a list), and one hidden among commas: the same rule.
    await agent.post('/api-keys').type('form').send({ name: 'sneaky', scopes: 'customers:write', _csrf: csrf }).expect(422);
    await agent.post('/api-keys').type('form').send({ name: 'sneaky', scopes: 'events:write,customers:write', _csrf: csrf }).expect(422);
    expect(await count()).to.equal(before);
    expect(await auditLines('apikey.created').where({ target_label: 'sneaky' })).to.deep.equal([]);
  });

  it('refuses no scope, an unknown scope, a bad or past expiry and an empty name, each beside its field', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const none = await agent.post('/api-keys').type('form').send(form({ name: 'x', scopes_form: '1', _csrf: csrf })).expect(422);
    expect(none.text).to.match(/id="f-scopes-error"[^>]*>Scopes must include at least one scope/);
    const unknown = await agent.post('/api-keys').type('form').send(form({ name: 'x', scopes_form: '1', scopes: ['metrics:read', 'admin:all'], _csrf: csrf })).expect(422);
    expect(unknown.text).to.contain('&quot;admin:all&quot; is not a scope; the scopes are events:write');
    const bad = await agent.post('/api-keys').type('form').send(form({ name: 'x', scopes_form: '1', scopes: ['metrics:read'], expires: 'next tuesday', _csrf: csrf })).expect(422);
    expect(bad.text).to.match(/id="f-expires-error"[^>]*>Expires must be a date \(YYYY-MM-DD\) or an ISO 8601 instant/);
    const past = await agent.post('/api-keys').type('form').send(form({ name: 'x', scopes_form: '1', scopes: ['metrics:read'], expires: '2026-11-22', _csrf: csrf })).expect(422);
    expect(past.text).to.match(/id="f-expires-error"[^>]*>Expires must be in the future\./);
    const far = await agent.post('/api-keys').type('form').send(form({ name: 'x', scopes_form: '1', scopes: ['metrics:read'], expires: '9999-12-31', _csrf: csrf })).expect(422);
    expect(far.text).to.match(/id="f-expires-error"[^>]*>Expires must be at most 10 years from now\./);
    const noName = await agent.post('/api-keys').type('form').send(form({ name: '   ', _csrf: csrf })).expect(422);
    expect(noName.text).to.match(/id="f-name-error"[^>]*>Name must not be empty\./);
    expect(keyOnPage(noName.text)).to.equal(undefined);
    expect(await ctx.deps.db('api_keys').where({ name: 'x' }).first()).to.equal(undefined);
  });

  it('a key with an expiry works through that day in the reporting time zone, then answers 401 saying it expired', async () => {
    await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
    const { agent, csrf } = await ctx.signIn('editor');
    const created = await agent.post('/api-keys').type('form').send(form({ name: 'campaign', scopes_form: '1', scopes: ['surveys:read'], expires: '2026-11-30', _csrf: csrf })).expect(201);
    expect(created.text).to.contain('1 Dec 2026, 00:00 CET');
    const key = keyOnPage(created.text)!;
    const row = await ctx.deps.db('api_keys').where({ name: 'campaign' }).first();
    // Midnight in Berlin at the end of 30 November.
    expect(row.expires_at).to.equal('2026-11-30T23:00:00.000Z');
    expect(JSON.parse((await auditLines('apikey.created').where({ target_id: String(row.id) }))[0].detail).expires_at).to.equal('2026-11-30T23:00:00.000Z');

    ctx.clock.set(new Date('2026-11-30T22:59:59.000Z'));
    await ctx.api.withKey(key).get('/api/v1/surveys').expect(200);
    ctx.clock.set(new Date('2026-11-30T23:00:00.000Z'));
    const res = await ctx.api.withKey(key).get('/api/v1/surveys').expect(401);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(res.body.title).to.equal('This API key expired at 2026-11-30T23:00:00.000Z');
    expect(res.body.detail).to.contain('create a new key');
    // A week on: a fresh sign-in (sessions have an absolute lifetime).
    const later = await ctx.signIn('editor');
    const list = await later.agent.get('/api-keys').expect(200);
    expect(rowOf(list.text, 'campaign')).to.contain('Expired');
    expect(rowOf(list.text, 'campaign')).to.contain('1 Dec 2026, 00:00 CET');

    // An instant works too.
    const at = await later.agent.post('/api-keys').type('form').send(form({ name: 'instant', scopes_form: '1', scopes: ['surveys:read'], expires: '2027-01-15T12:30:00+01:00', _csrf: later.csrf })).expect(201);
    expect(keyOnPage(at.text)).to.be.a('string');
    expect((await ctx.deps.db('api_keys').where({ name: 'instant' }).first()).expires_at).to.equal('2027-01-15T11:30:00.000Z');
  });

  it('the API refuses no key, a wrong key and a revoked key with 401 problem+json', async () => {
    const check = async (res: supertest.Response) => {
      expect(res.status).to.equal(401);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).to.equal('Bearer');
      expect(res.body).to.include({ status: 401 });
      expect(res.body.title).to.be.a('string');
    };
    await check(await supertest(ctx.app).get('/api/v1/surveys'));
    await check(await ctx.api.withKey('tp_not-a-real-key').get('/api/v1/surveys'));
    await check(await supertest(ctx.app).get('/api/v1/surveys').set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`));
    await check(await ctx.api.withKey(`${ctx.apiKey}x`).post('/api/v1/events', {}));

    // Revoked on the page (by an admin: the key was made on the command line): refused from then on.
    await ctx.api.get('/api/v1/surveys').expect(200);
    const { agent, csrf, email } = await ctx.signIn('admin');
    const row = await ctx.deps.db('api_keys').where({ name: 'tests' }).first();
    const revoked = await agent.post(`/api-keys/${row.id}/revoke`).type('form').send({ _csrf: csrf }).expect(303);
    expect(revoked.headers.location).to.equal('/api-keys');
    const list = await agent.get('/api-keys').expect(200);
    expect(list.text).to.contain('is revoked');
    expect(list.text).to.match(/Revoked 23 Nov 2026, 10:00 UTC by admin@example\.com/);
    const refused = await ctx.api.get('/api/v1/surveys');
    await check(refused);
    expect(refused.body.title).to.equal('This API key has been revoked');
    expect((await ctx.deps.db('api_keys').where({ id: row.id }).first()).revoked_at).to.equal(ctx.clock.now().toISOString());
    const lines = await auditLines('apikey.revoked');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ actor_type: 'user', actor_label: email, target_id: String(row.id), target_label: 'tests' });
    // Revoking again changes nothing and writes no second line.
    await agent.post(`/api-keys/${row.id}/revoke`).type('form').send({ _csrf: csrf }).expect(303);
    expect(await auditLines('apikey.revoked')).to.have.length(1);
  });

  it('an editor revokes the keys they made, not those of others; an admin revokes any', async () => {
    const mine = await ctx.signIn('editor');
    const other = await ctx.signIn('editor');
    const make = async (who: typeof mine, name: string) => {
      await who.agent.post('/api-keys').type('form').send(form({ name, scopes_form: '1', scopes: ['events:write'], _csrf: who.csrf })).expect(201);
      return (await ctx.deps.db('api_keys').where({ name }).first()).id as number;
    };
    const own = await make(mine, 'mine');
    const theirs = await make(other, 'theirs');
    const cli = (await ctx.deps.db('api_keys').where({ name: 'tests' }).first()).id as number;

    const page = await mine.agent.get('/api-keys').expect(200);
    expect(rowOf(page.text, 'mine')).to.contain(`action="/api-keys/${own}/revoke"`);
    expect(rowOf(page.text, 'theirs')).not.to.contain('/revoke');
    expect(rowOf(page.text, 'tests')).not.to.contain('/revoke');

    for (const id of [theirs, cli]) {
      const res = await mine.agent.post(`/api-keys/${id}/revoke`).type('form').send({ _csrf: mine.csrf }).expect(403);
      expect(res.text).to.contain('You can revoke only the API keys you created');
      expect((await ctx.deps.db('api_keys').where({ id }).first()).revoked_at).to.equal(null);
    }
    await mine.agent.post(`/api-keys/${own}/revoke`).type('form').send({ _csrf: mine.csrf }).expect(303);
    expect((await ctx.deps.db('api_keys').where({ id: own }).first()).revoked_at).to.be.a('string');

    const admin = await ctx.signIn('admin');
    await admin.agent.post(`/api-keys/${theirs}/revoke`).type('form').send({ _csrf: admin.csrf }).expect(303);
    expect((await ctx.deps.db('api_keys').where({ id: theirs }).first()).revoked_by_label).to.equal('admin@example.com');
    expect((await auditLines('apikey.revoked')).map((l) => l.target_label)).to.deep.equal(['mine', 'theirs']);
  });

  it("a key stops working for good when its owner is deactivated, and the page says so", async () => {
    const editor = await ctx.signIn('editor');
    const created = await editor.agent.post('/api-keys').type('form').send(form({ name: 'leaver', scopes_form: '1', scopes: ['surveys:read'], _csrf: editor.csrf })).expect(201);
    const key = keyOnPage(created.text)!;
    await ctx.api.withKey(key).get('/api/v1/surveys').expect(200);

    const admin = await ctx.signIn('admin');
    await admin.agent.post(`/users/${editor.userId}/deactivate`).type('form').send({ _csrf: admin.csrf }).expect(303);
    const list = await admin.agent.get('/api-keys').expect(200);
    expect(list.text).to.contain('when the user who created it is deactivated');
    expect(rowOf(list.text, 'leaver')).to.contain(`${editor.email} <span class="muted">(deactivated)</span>`);
    expect(rowOf(list.text, 'leaver')).to.match(/Stopped: its owner is deactivated|Revoked/);

    // Deactivating the owner revokes their keys at once, by the admin who deactivated them.
    const res = await ctx.api.withKey(key).get('/api/v1/surveys').expect(401);
    expect(res.body.title).to.equal('This API key has been revoked');
    const row = await ctx.deps.db('api_keys').where({ name: 'leaver' }).first();
    expect(row.revoked_at).to.be.a('string');
    const [line] = await auditLines('apikey.revoked').where({ target_id: String(row.id) });
    expect(line).to.include({ actor_type: 'user', actor_label: admin.email });
    expect(JSON.parse(line.detail)).to.include({ reason: 'owner_deactivated' });

    // Coming back does not bring the key back.
    await admin.agent.post(`/users/${editor.userId}/reactivate`).type('form').send({ _csrf: admin.csrf }).expect(303);
    const again = await ctx.api.withKey(key).get('/api/v1/surveys').expect(401);
    expect(again.body.title).to.equal('This API key has been revoked');
  });

  it('revokeApiKeysOfUser (for the deactivation of a user) revokes every key they made, audited, and only theirs', async () => {
    const editor = await ctx.signIn('editor');
    const keys: string[] = [];
    for (const name of ['one', 'two']) {
      const created = await editor.agent.post('/api-keys').type('form').send(form({ name, scopes_form: '1', scopes: ['surveys:read'], _csrf: editor.csrf })).expect(201);
      keys.push(keyOnPage(created.text)!);
    }
    const admin = await ctx.deps.db('users').where({ email: 'admin@example.com' }).first();
    const actor = { type: 'user' as const, id: admin.id, label: admin.email, ip: null };
    expect(await revokeApiKeysOfUser(ctx.deps.db, editor.userId, ctx.clock.now(), actor)).to.equal(2);
    for (const key of keys) await ctx.api.withKey(key).get('/api/v1/surveys').expect(401);
    await ctx.api.get('/api/v1/surveys').expect(200);
    const lines = await auditLines('apikey.revoked');
    expect(lines.map((l) => [l.target_label, l.actor_label, JSON.parse(l.detail).reason])).to.deep.equal([
      ['one', 'admin@example.com', 'owner_deactivated'],
      ['two', 'admin@example.com', 'owner_deactivated'],
    ]);
    expect(await revokeApiKeysOfUser(ctx.deps.db, editor.userId, ctx.clock.now(), actor)).to.equal(0);
  });

  it('an admin narrows the scopes of an existing key, never widens them; editors cannot', async () => {
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
    const row = await ctx.deps.db('api_keys').where({ name: 'tests' }).first();
    const editor = await ctx.signIn('editor');
    const detail = await editor.agent.get(`/api-keys/${row.id}`).expect(200);
    expect(detail.text).not.to.contain(`/api-keys/${row.id}/scopes`);
    await editor.agent.post(`/api-keys/${row.id}/scopes`).type('form').send(form({ scopes_form: '1', scopes: ['metrics:read'], _csrf: editor.csrf })).expect(403);

    const { agent, csrf, email } = await ctx.signIn('admin');
    const page = await agent.get(`/api-keys/${row.id}`).expect(200);
    expect(page.text).to.contain(`action="/api-keys/${row.id}/scopes"`);
    await agent.post(`/api-keys/${row.id}/scopes`).type('form').send(form({ scopes_form: '1', scopes: ['metrics:read', 'responses:read'], _csrf: csrf })).expect(303);
    expect((await ctx.deps.db('api_keys').where({ id: row.id }).first()).scopes).to.equal('metrics:read responses:read');
    await ctx.api.get('/api/v1/metrics?survey=delivery-nps').expect(200);
    const refused = await ctx.api.get('/api/v1/surveys').expect(403);
    expect(refused.body.title).to.equal('This API key lacks the scope surveys:read');
    const list = await agent.get('/api-keys').expect(200);
    expect(rowOf(list.text, 'tests')).to.contain('<code>metrics:read</code>, <code>responses:read</code>');

    const wider = await agent.post(`/api-keys/${row.id}/scopes`).type('form').send(form({ scopes_form: '1', scopes: ['metrics:read', 'surveys:read'], _csrf: csrf })).expect(422);
    expect(wider.text).to.contain('Scopes can only be narrowed: the key does not have surveys:read now; create a new key for more.');
    const none = await agent.post(`/api-keys/${row.id}/scopes`).type('form').send(form({ scopes_form: '1', _csrf: csrf })).expect(422);
    expect(none.text).to.contain('Scopes must include at least one scope');
    expect((await ctx.deps.db('api_keys').where({ id: row.id }).first()).scopes).to.equal('metrics:read responses:read');

    const lines = await auditLines('apikey.scopes_changed');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ actor_type: 'user', actor_label: email, target_id: String(row.id) });
    expect(JSON.parse(lines[0].detail)).to.deep.include({ from: [...apiScopes], to: ['metrics:read', 'responses:read'] });
  });

  it('records when a key was last used', async () => {
    const lastUsed = async () => (await ctx.deps.db('api_keys').where({ name: 'tests' }).first()).last_used_at;
    expect(await lastUsed()).to.equal(null);
    await ctx.api.get('/api/v1/surveys');
    expect(await lastUsed()).to.equal(ctx.clock.now().toISOString());
    ctx.clock.advance(5 * MINUTE);
    await ctx.api.get('/api/v1/surveys');
    expect(await lastUsed()).to.equal(ctx.clock.now().toISOString());
    const { agent } = await ctx.signIn('editor');
    const list = await agent.get('/api-keys').expect(200);
    expect(list.text).to.contain('23 Nov 2026, 10:05 UTC');
  });

  it('revoking or showing an unknown key is 404; viewers cannot see the page', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    await agent.post('/api-keys/999999/revoke').type('form').send({ _csrf: csrf }).expect(404);
    await agent.post('/api-keys/abc/revoke').type('form').send({ _csrf: csrf }).expect(404);
    await agent.get('/api-keys/999999').expect(404);
    await agent.get('/api-keys/1.5').expect(404);
    const viewer = await ctx.signIn('viewer');
    await viewer.agent.get('/api-keys').expect(403);
    const row = await ctx.deps.db('api_keys').first();
    await viewer.agent.get(`/api-keys/${row.id}`).expect(403);
  });
});
