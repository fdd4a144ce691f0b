import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { createTestContext, withTestContext, withTestContextPerTest } from '../helpers/context.ts';
import { activeSurvey, seedInvitation } from '../helpers/invitations.ts';
import { DAY, HOUR, MINUTE, ManualClock } from '../../server/clock.ts';
import { audit, cliActor, systemActor } from '../../server/audit/record.ts';
import { pruneAuditLog } from '../../server/audit-log/retention.ts';
import { getSettings, updateSettings } from '../../server/settings/service.ts';
import { signingSecret } from '../../server/settings/signing-secrets.ts';
import { importResponses } from '../../server/imports/responses.ts';
import { importEvents } from '../../server/imports/events.ts';
import { loadSurveyFiles } from '../../server/surveys/files.ts';
import { erasedExternalId } from '../../server/customers/queries.ts';
import { startWorker } from '../../server/jobs.ts';

/*
 * Issue 10, point 6: the audit log. A script of actions through HTTP, then the Audit page lists each
 * one in order with who and from where; filters, CSV, roles, retention and the database's refusals.
 */

const ADMIN_ADDRESS = '203.0.113.10';
const API_ADDRESS = '198.51.100.20';

/** The settings form as the page sends it, with the defaults. */
const settingsForm = (): Record<string, string> => ({
  reporting_time_zone: 'UTC',
  default_locale: 'en',
  sender_name: '',
  sender_address: '',
  reply_to: '',
  brand_color: '#2f5fd0',
  logo_url: '',
  edit_window_hours: '48',
  token_expiry_days: '30',
  min_bucket_responses: '30',
  audit_retention_days: '365',
  cooldown_after_invitation_days: '30',
  cooldown_after_response_days: '',
  cap_count: '3',
  cap_window_days: '90',
  quiet_hours_start: '09:00',
  quiet_hours_end: '20:00',
  override_cooldown_after_response: 'on',
  override_quiet_hours: 'on',
});

const decode = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

interface PageRow {
  id: number;
  action: string;
  when: string;
  whenText: string;
  who: string;
  where: string;
  what: string;
  detail: string;
}

/** The rows of the Audit page's table, top to bottom. */
function pageRows(html: string): PageRow[] {
  const rows: PageRow[] = [];
  const rowPattern = /<tr data-audit="(\d+)" data-action="([^"]+)">([\s\S]*?)<\/tr>/g;
  for (let m = rowPattern.exec(html); m; m = rowPattern.exec(html)) {
    const cells = [...m[3].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]);
    rows.push({
      id: Number(m[1]),
      action: m[2],
      when: /datetime="([^"]+)"/.exec(cells[0])?.[1] ?? '',
      whenText: decode(cells[0]),
      who: decode(cells[1]),
      where: decode(cells[2]),
      what: decode(cells[3]),
      detail: decode(cells[4]),
    });
  }
  return rows;
}

/** A CSV file's records (RFC 4180: quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\r' && body[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || record.length) {
    record.push(cell);
    records.push(record);
  }
  return records;
}

/** Lines of the other parts of issue 10 (sign-in, users, keys): not this script's. */
const othersArea = /^(auth|user|apikey|setup)\./;

const csvOf = (res: supertest.Response) => parseCsv(res.text);

describe('audit log', function () {
  this.timeout(60_000);

  describe('a script of actions through HTTP, read back on the Audit page', () => {
    const ctx = withTestContext();
    let admin: { agent: supertest.Agent; csrf: string; email: string };
    let invitationId: number;
    let seededEmail: string;
    let secretBefore: string;
    let secretAfter: string;

    const page = (url: string) => admin.agent.get(url).set('X-Forwarded-For', ADMIN_ADDRESS);
    const form = (url: string, body: Record<string, string> = {}) =>
      admin.agent.post(url).set('X-Forwarded-For', ADMIN_ADDRESS).type('form').send({ _csrf: admin.csrf, ...body });
    const api = (method: 'get' | 'post' | 'patch', url: string) =>
      ctx.api[method](`/api/v1${url}`).set('X-Forwarded-For', API_ADDRESS);
    const step = () => ctx.clock.advance(MINUTE);

    const expected: { action: string; who: string; where: string; what: string }[] = [];
    const byAdmin = (action: string, what: string) => expected.push({ action, who: 'admin@example.com', where: ADMIN_ADDRESS, what });
    const byKey = (action: string, what: string) => expected.push({ action, who: 'API key tests', where: API_ADDRESS, what });

    before(async () => {
      const seeded = await seedInvitation(ctx, { surveyKey: 'delivery-nps', state: 'sent' });
      invitationId = seeded.invitationId;
      seededEmail = seeded.email;
      secretBefore = await signingSecret(ctx.deps.db, 'link');
      // A customer whose id is not an email, through the API (not audited: events are not in the log).
      await api('post', '/events')
        .send({ touchpoint: 'delivery', transaction_id: 'order-1', customer: { id: 'cust-42', email: 'cust42@example.com' } })
        .expect(202);

      step();
      admin = await ctx.signIn('admin');
      expected.push({ action: 'auth.sign_in', who: 'admin@example.com', where: '(the test agent)', what: 'signed in' });

      step();
      await form('/settings', { ...settingsForm(), sender_name: 'Acme care' }).expect(303);
      byAdmin('settings.changed', 'changed the settings: sender name from (blank) to Acme care');

      step();
      await form('/settings', { ...settingsForm(), sender_name: 'Acme care', cooldown_after_invitation_days: '14' }).expect(303);
      byAdmin('contact_rules.changed', 'changed the global contact rules: cooldown after invitation (days) from 30 to 14');

      step();
      await form('/settings/link-secret').expect(303);
      secretAfter = await signingSecret(ctx.deps.db, 'link');
      byAdmin('settings.link_secret_replaced', 'replaced the secret for signed web links (links signed with the old one stop working)');

      step();
      await form('/surveys/delivery-nps/pause').expect(303);
      byAdmin('survey.status_changed', 'paused the survey delivery-nps (it was active)');

      step();
      await form('/surveys/delivery-nps/activate').expect(303);
      byAdmin('survey.status_changed', 'activated the survey delivery-nps (it was paused)');

      step();
      await api('patch', '/surveys/delivery-nps').send({ status: 'paused', rules: { cooldown_after_invitation_days: 10 } }).expect(200);
      byKey('survey.status_changed', 'paused the survey delivery-nps (it was active)');
      byKey('survey.rules_changed', 'changed the contact rules of the survey delivery-nps: cooldown after invitation (days) from 90 to 10');

      step();
      await api('patch', '/surveys/delivery-nps').send({ status: 'active' }).expect(200);
      byKey('survey.status_changed', 'activated the survey delivery-nps (it was paused)');

      step();
      await api('get', '/customers/cust-42/export').expect(200);
      byKey('customer.exported', 'exported the data of the customer cust-42');

      step();
      await api('post', '/customers/cust-42/erase').expect(200);
      byKey('customer.erased', 'erased the customer cust-42');

      step();
      await form(`/deliveries/${invitationId}/as-customer`).expect(200);
      byAdmin('invitation.opened_as_customer', `opened invitation #${invitationId} as the customer (a preview that stores nothing)`);
    });

    it('lists every action of the script, newest first, with who, from where and what', async () => {
      const res = await page('/audit').expect(200);
      expect(res.headers['cache-control']).to.contain('no-store');
      expect(res.text).to.match(/<caption id="audit-caption">/);
      expect(res.text).to.contain('<th scope="col">From where</th>');
      expect(res.text, 'the nav links to the page, as the current one').to.match(/<a href="\/audit" aria-current="page">Audit log<\/a>/);
      // The lines of this script: the admin's sign-in (written by the sign-in code), then each change.
      const rows = pageRows(res.text).filter((r) => !othersArea.test(r.action) || r.action === 'auth.sign_in');
      const oldestFirst = [...rows].reverse();
      expect(oldestFirst.map((r) => r.action)).to.deep.equal(expected.map((e) => e.action));
      oldestFirst.forEach((row, i) => {
        expect(row.who, `${i}: ${row.action}`).to.equal(expected[i].who);
        if (row.action === 'auth.sign_in') expect(row.where).to.match(/127\.0\.0\.1/);
        else expect(row.where, `${i}: ${row.action}`).to.equal(expected[i].where);
        expect(row.what, `${i}: ${row.action}`).to.equal(`${expected[i].what} ${expected[i].action}`);
      });
      // Times: one minute apart, shown in the reporting time zone.
      expect(oldestFirst[0].when).to.equal('2026-11-23T10:01:00.000Z');
      expect(oldestFirst[1].when).to.equal('2026-11-23T10:02:00.000Z');
      expect(oldestFirst[1].whenText).to.equal('23 Nov 2026, 10:02 UTC');
      expect(new Set(rows.map((r) => r.when)).size).to.equal(rows.length - 1, 'two lines of one request share a time');
    });

    it('keeps old and new values in the detail, and never a secret', async () => {
      const res = await page('/audit').expect(200);
      const rows = pageRows(res.text);
      expect(rows.find((r) => r.action === 'settings.changed')?.detail).to.contain('sender_name (blank) → Acme care');
      expect(rows.find((r) => r.action === 'survey.rules_changed')?.detail).to.contain('cooldown_after_invitation_days 90 → 10');
      const everything = JSON.stringify(await ctx.deps.db('audit_log').select());
      expect(secretAfter).not.to.equal(secretBefore);
      expect(everything).not.to.contain(secretBefore);
      expect(everything).not.to.contain(secretAfter);
      // A customer whose id is an email is never named by the email; an erased customer's id is gone.
      expect(everything).not.to.contain(seededEmail);
      expect(everything).not.to.contain('cust42@example.com');
    });

    it('filters by action, a prefix of actions, actor, target and dates, in the URL', async () => {
      const actions = (res: supertest.Response) => pageRows(res.text).map((r) => r.action);
      expect(actions(await page('/audit?action=survey.rules_changed').expect(200))).to.deep.equal(['survey.rules_changed']);
      expect(actions(await page('/audit?action=survey.').expect(200))).to.deep.equal([
        'survey.status_changed',
        'survey.rules_changed',
        'survey.status_changed',
        'survey.status_changed',
        'survey.status_changed',
      ]);
      expect(actions(await page('/audit?action=customer.*').expect(200))).to.deep.equal(['customer.erased', 'customer.exported']);
      // The select offers every action present and each area's prefix, the chosen one selected.
      const filtered = await page('/audit?action=survey.').expect(200);
      expect(filtered.text).to.match(/<option value="survey\." selected>/);
      expect(filtered.text).to.match(/<option value="invitation\.opened_as_customer">invitation\.opened_as_customer<\/option>/);

      const byKey = pageRows((await page('/audit?actor=TESTS').expect(200)).text);
      expect(byKey.map((r) => r.who)).to.deep.equal(Array(5).fill('API key tests'));
      expect(pageRows((await page('/audit?actor=admin%40example').expect(200)).text).filter((r) => !othersArea.test(r.action))).to.have.length(6);

      expect(actions(await page('/audit?target=cust-42').expect(200))).to.deep.equal(['customer.erased', 'customer.exported']);
      expect(actions(await page(`/audit?target=${invitationId}&action=invitation.`).expect(200))).to.deep.equal(['invitation.opened_as_customer']);

      expect(actions(await page('/audit?from=2026-11-23&to=2026-11-23').expect(200)).filter((a) => !othersArea.test(a))).to.have.length(expected.length - 1);
      expect(actions(await page('/audit?from=2026-11-24').expect(200))).to.deep.equal([]);
      expect(actions(await page('/audit?to=2026-11-22').expect(200))).to.deep.equal([]);
      const none = await page('/audit?action=customer.&actor=admin').expect(200);
      expect(none.text).to.contain('No lines match.');
    });

    it('exports every line as CSV, with the same filters', async () => {
      const all = await page('/audit.csv').expect(200);
      expect(all.headers['content-type']).to.equal('text/csv; charset=utf-8');
      expect(all.headers['content-disposition']).to.equal('attachment; filename="audit-log-2026-11-23.csv"');
      expect(all.text.startsWith('\uFEFF')).to.equal(true);
      const [header, ...records] = csvOf(all);
      expect(header).to.deep.equal(['id', 'at', 'local_time', 'actor_type', 'actor_id', 'actor', 'ip', 'action', 'what', 'target_type', 'target_id', 'target', 'detail']);
      const ids = (await ctx.deps.db('audit_log').orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).pluck('id')).map(Number);
      expect(records.map((r) => Number(r[0]))).to.deep.equal(ids);
      const erased = records.find((r) => r[7] === 'customer.erased')!;
      expect(erased.slice(3, 9)).to.deep.equal(['api_key', erased[4], 'API key tests', API_ADDRESS, 'customer.erased', 'erased the customer cust-42']);
      expect(erased[11]).to.equal('cust-42');

      const survey = csvOf(await page('/audit.csv?action=survey.&actor=tests').expect(200)).slice(1);
      expect(survey.map((r) => r[7])).to.deep.equal(['survey.status_changed', 'survey.rules_changed', 'survey.status_changed']);
      expect(JSON.parse(survey[1][12])).to.deep.equal({ changes: { cooldown_after_invitation_days: { from: 90, to: 10 } } });
    });

    it('finds a customer whose id is an email by that email, though the log holds only its erased form', async () => {
      const seededId = seededEmail;
      await api('get', `/customers/${encodeURIComponent(seededId)}/export`).expect(200);
      const row = await ctx.deps.db('audit_log').where({ action: 'customer.exported' }).orderBy('id', 'desc').first();
      expect(row.target_label).to.equal(erasedExternalId(seededId));
      const found = pageRows((await page(`/audit?target=${encodeURIComponent(seededId.toUpperCase())}`).expect(200)).text);
      expect(found.map((r) => r.id)).to.deep.equal([Number(row.id)]);
    });

    it('answers 422 naming the filter that is wrong, on the page and the CSV', async () => {
      const cases: [string, string][] = [
        ['from=2026-13-01', 'from'],
        ['to=9999-12-31', 'to'],
        ['from=2026-02-30', 'from'],
        ['to=yesterday', 'to'],
        ['from=2026-11-24&to=2026-11-23', 'to'],
        ['action=DROP%20TABLE', 'action'],
        ['page=0', 'page'],
        ['page=abc', 'page'],
        [`actor=${'x'.repeat(300)}`, 'actor'],
      ];
      for (const [query, field] of cases) {
        const res = await page(`/audit?${query}`);
        expect(res.status, query).to.equal(422);
        // Each filter field shows its error beside it (the page number has no field: the summary names it).
        if (field !== 'page') expect(res.text, query).to.match(new RegExp(`id="f-${field}-error"`));
        expect(res.text, query).to.contain(`These filters cannot be used: ${field}:`);
        expect(pageRows(res.text), query).to.deep.equal([]);

        const csv = await page(`/audit.csv?${query}`).set('Accept', 'application/json');
        expect(csv.status, query).to.equal(422);
        expect(csv.headers['content-type'], query).to.contain('application/problem+json');
        expect(JSON.parse(csv.text).errors.map((e: { field: string }) => e.field), query).to.deep.equal([field]);
      }
      // The form keeps what was typed.
      const typed = await page('/audit?from=2026-13-01&actor=ann').expect(422);
      expect(typed.text).to.contain('value="2026-13-01"');
      expect(typed.text).to.contain('value="ann"');
    });

    it('is for admins only: viewers and editors get 403, people signed out go to the sign-in page', async () => {
      for (const role of ['viewer', 'editor'] as const) {
        const { agent } = await ctx.signIn(role);
        await agent.get('/audit').expect(403);
        await agent.get('/audit.csv').expect(403);
        const home = await agent.get('/dashboard').expect(200);
        expect(home.text, `no link for a ${role}`).not.to.contain('href="/audit"');
      }
      const anonymous = supertest(ctx.app);
      expect((await anonymous.get('/audit').expect(303)).headers.location).to.match(/^\/login/);
      expect((await anonymous.get('/audit.csv').expect(303)).headers.location).to.match(/^\/login/);
    });

    it('records the customer page action: clearing a hard bounce', async () => {
      await ctx.deps.db('customers').where({ external_id: seededEmail }).update({ bounced_at: ctx.clock.now().toISOString(), bounce_reason: '550 no such user' });
      await form(`/customers/${encodeURIComponent(seededEmail)}/clear-bounce`).expect(303);
      const rows = pageRows((await page('/audit?action=customer.bounce_cleared').expect(200)).text);
      expect(rows).to.have.length(1);
      expect(rows[0].who).to.equal('admin@example.com');
      expect(rows[0].what).to.equal(`cleared the hard bounce of the customer ${erasedExternalId(seededEmail)} customer.bounce_cleared`);
    });

    it('refuses to change a line, at the database', async () => {
      const { db } = ctx.deps;
      const row = await db('audit_log').orderBy('id').first();
      let refused: unknown = null;
      try {
        await db('audit_log').where({ id: row.id }).update({ action: 'nothing.happened' });
      } catch (err) {
        refused = err;
      }
      expect(String(refused)).to.contain('append-only');
      expect((await db('audit_log').where({ id: row.id }).first()).action).to.equal(row.action);
      refused = null;
      try {
        await db('audit_log').update({ actor_label: 'someone else' });
      } catch (err) {
        refused = err;
      }
      expect(String(refused)).to.contain('append-only');
      // TRUNCATE (PostgreSQL has it; SQLite's DELETE without WHERE is refused by the delete trigger, as a
      // whole, for this line written at the real now: the test clock's lines age by the wall clock).
      await audit(db, { actor: systemActor, action: 'test.now' }, new Date());
      refused = null;
      try {
        await db.raw(db.client.config.client === 'pg' ? 'TRUNCATE audit_log' : 'DELETE FROM audit_log');
      } catch (err) {
        refused = err;
      }
      expect(String(refused)).to.contain('append-only');
      expect(Number((await db('audit_log').count({ n: '*' }).first())?.n)).to.be.greaterThan(10);
    });
  });

  describe('pages and CSV of a long log', () => {
    const ctx = withTestContext();
    before(async () => {
      // 1,234 lines, many sharing one instant (the CSV reads in pages of 1,000: no line lost or repeated at the seam).
      for (let i = 0; i < 1234; i++) {
        const at = new Date(ctx.clock.now().getTime() + Math.floor(i / 7) * MINUTE);
        await audit(ctx.deps.db, { actor: systemActor, action: i % 2 ? 'test.odd' : 'test.even', target: { type: 'thing', id: i, label: `thing ${i}` } }, at);
      }
    });

    it('pages the page with the filters kept, and the CSV holds every line', async () => {
      const { agent } = await ctx.signIn('admin');
      const first = await agent.get('/audit?action=test.odd').expect(200);
      expect(pageRows(first.text)).to.have.length(50);
      expect(first.text).to.contain('Lines 1–50 of 617 lines');
      expect(first.text).to.contain('href="/audit?action&#x3D;test.odd&amp;page&#x3D;2" rel="next"');
      const last = await agent.get('/audit?action=test.odd&page=13').expect(200);
      expect(pageRows(last.text)).to.have.length(17);
      const past = await agent.get('/audit?action=test.odd&page=14').expect(200);
      expect(past.text).to.contain('There is no page 14');

      const all = csvOf(await agent.get('/audit.csv').expect(200)).slice(1);
      const ids = (await ctx.deps.db('audit_log').orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).pluck('id')).map(Number);
      expect(ids.length).to.be.at.least(1234);
      expect(all.map((r) => Number(r[0]))).to.deep.equal(ids);
      const odd = csvOf(await agent.get('/audit.csv?action=test.odd').expect(200)).slice(1);
      expect(odd).to.have.length(617);
      expect(new Set(odd.map((r) => r[0])).size).to.equal(617);
    });

    it('takes the dates as days in the reporting time zone', async () => {
      await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
      // 23:30 UTC on 30 November is 1 December in Berlin.
      await audit(ctx.deps.db, { actor: systemActor, action: 'test.late' }, new Date('2026-11-30T23:30:00Z'));
      const { agent } = await ctx.signIn('admin');
      const on = (query: string) => agent.get(`/audit?action=test.late&${query}`).expect(200);
      expect(pageRows((await on('from=2026-12-01&to=2026-12-01')).text)).to.have.length(1);
      expect(pageRows((await on('to=2026-11-30')).text)).to.have.length(0);
      const row = pageRows((await on('from=2026-12-01')).text)[0];
      expect(row.whenText).to.equal('1 Dec 2026, 00:30 CET');
    });
  });

  describe('retention', () => {
    // Lines in the past: the database refuses to delete lines younger than 29 days by its own clock.
    const t0 = new Date('2024-01-10T10:00:00Z');
    const ctx = withTestContextPerTest(() => ({ clock: new ManualClock(t0) }));

    /** This test's lines (the context's own set-up writes user and key lines too). */
    const actionsLeft = async () => ((await ctx.deps.db('audit_log').orderBy('id').pluck('action')) as string[]).filter((a) => !othersArea.test(a));

    it('deletes only the lines older than the retention in the Settings (default a year), and says so', async () => {
      const { db } = ctx.deps;
      expect((await getSettings(db)).audit_retention_days).to.equal(365);
      await audit(db, { actor: cliActor, action: 'test.old' }, t0);
      await audit(db, { actor: cliActor, action: 'test.middle' }, new Date(t0.getTime() + 200 * DAY));
      await audit(db, { actor: cliActor, action: 'test.recent' }, new Date(t0.getTime() + 300 * DAY));
      ctx.clock.set(new Date(t0.getTime() + 370 * DAY));
      const cutoff = new Date(t0.getTime() + 5 * DAY).toISOString();
      const old = Number((await db('audit_log').where('at', '<', cutoff).count({ n: '*' }).first())?.n);
      expect(old, 'the old line and the set-up lines of t0').to.be.at.least(1);

      expect(await pruneAuditLog(ctx.deps)).to.equal(old);
      expect(Number((await db('audit_log').where('at', '<', cutoff).count({ n: '*' }).first())?.n)).to.equal(0);
      expect(await actionsLeft()).to.deep.equal(['test.middle', 'test.recent', 'audit.pruned']);
      const pruned = await db('audit_log').where({ action: 'audit.pruned' }).first();
      expect(pruned.actor_type).to.equal('system');
      expect(JSON.parse(pruned.detail)).to.deep.equal({ deleted: old, retention_days: 365, before: cutoff });
      expect(await pruneAuditLog(ctx.deps), 'nothing more to delete').to.equal(0);
      expect(await actionsLeft()).to.have.length(3);

      // A shorter retention: the middle line (170 days old) goes, the recent one (70 days) stays.
      await updateSettings(db, { audit_retention_days: 100 });
      expect(await pruneAuditLog(ctx.deps)).to.equal(1);
      expect(await actionsLeft()).to.deep.equal(['test.recent', 'audit.pruned', 'audit.pruned']);
    });

    it('is a pass of the worker loop, at most once an hour', async () => {
      const local = await createTestContext({ clock: new ManualClock(t0), env: { WORKER_INTERVAL_MS: '50' } });
      try {
        const { db } = local.deps;
        local.clock.set(new Date(t0.getTime() + 400 * DAY));
        await audit(db, { actor: cliActor, action: 'test.old' }, t0);
        const has = async (action: string) => (await db('audit_log').where({ action }).first()) !== undefined;
        const worker = startWorker(local.deps);
        try {
          await eventually(async () => !(await has('test.old')), 'the old line deleted');
          expect(await has('audit.pruned')).to.equal(true);
          await audit(db, { actor: cliActor, action: 'test.old2' }, t0);
          await new Promise((resolve) => setTimeout(resolve, 400));
          expect(await has('test.old2'), 'no second pass within the hour').to.equal(true);
          local.clock.advance(HOUR);
          await eventually(async () => !(await has('test.old2')), 'the next hour deletes it');
        } finally {
          await worker.stop();
        }
      } finally {
        await local.close();
      }
    });

    it('refuses, at the database, to delete a line younger than 29 days', async () => {
      const { db } = ctx.deps;
      await audit(db, { actor: cliActor, action: 'test.now' }, new Date());
      await audit(db, { actor: cliActor, action: 'test.ancient' }, new Date('2020-01-01T00:00:00Z'));
      let refused: unknown = null;
      try {
        await db('audit_log').where({ action: 'test.now' }).delete();
      } catch (err) {
        refused = err;
      }
      expect(String(refused)).to.contain('append-only');
      refused = null;
      try {
        await db('audit_log').delete();
      } catch (err) {
        refused = err;
      }
      expect(String(refused), 'a delete of everything fails as a whole').to.contain('append-only');
      expect(await actionsLeft()).to.deep.equal(['test.now', 'test.ancient']);
      expect(Number(await db('audit_log').where({ action: 'test.ancient' }).delete())).to.equal(1);
    });

    it('is a setting: "Keep the audit log for (days)", from 30 to 3650, and changing it is audited', async () => {
      const { agent, csrf } = await ctx.signIn('admin');
      const page = await agent.get('/settings').expect(200);
      expect(page.text).to.contain('<label for="f-audit_retention_days">Keep the audit log for (days)</label>');
      expect(page.text).to.match(/name="audit_retention_days" type="number" value="365" inputmode="numeric" min="30" max="3650" required/);
      for (const [value, message] of [
        ['29', 'must be at least 30 days'],
        ['3651', 'must be at most 3650 days (10 years)'],
        ['', 'is required'],
        ['a year', 'must be a whole number'],
      ]) {
        const res = await agent.post('/settings').type('form').send({ ...settingsForm(), _csrf: csrf, audit_retention_days: value }).expect(422);
        expect(/id="f-audit_retention_days-error"[^>]*>([^<]+)</.exec(res.text)?.[1], value).to.equal(message);
      }
      await agent.post('/settings').type('form').send({ ...settingsForm(), _csrf: csrf, audit_retention_days: '730' }).expect(303);
      expect((await getSettings(ctx.deps.db)).audit_retention_days).to.equal(730);
      const line = await ctx.deps.db('audit_log').where({ action: 'settings.changed' }).first();
      expect(JSON.parse(line.detail)).to.deep.equal({ changes: { audit_retention_days: { from: 365, to: 730 } } });
    });
  });

  describe('lines of the command line and of survey files', () => {
    const ctx = withTestContextPerTest();
    let dir: string;
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-audit-'));
    });
    afterEach(async () => {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    const lines = async (prefix: string) =>
      (await ctx.deps.db('audit_log').where('action', 'like', `${prefix}%`).orderBy('id')).map((r) => ({ ...r, detail: JSON.parse(r.detail) }));

    it('imports: the file, its flags and its counts, by the command line', async () => {
      await activeSurvey(ctx, { key: 'delivery-nps' });
      const responses = path.join(dir, 'responses.csv');
      fs.writeFileSync(responses, 'survey,score,answered_at\ndelivery-nps,9,2026-11-01T10:00:00Z\ndelivery-nps,11,2026-11-01T10:00:00Z\n');
      await importResponses(ctx.deps, responses, () => {}, { dryRun: true });
      await importResponses(ctx.deps, responses, () => {});
      await importResponses(ctx.deps, responses, () => {});
      const events = path.join(dir, 'events.csv');
      fs.writeFileSync(events, 'touchpoint,transaction_id,email\ndelivery,t-1,ann@example.com\nnowhere,t-2,bob@example.com\n');
      await importEvents(ctx.deps, events, () => {}, { send: true });

      const found = await lines('import.');
      expect(found.map((l) => [l.action, l.actor_type, l.actor_label, l.ip])).to.deep.equal([
        ['import.responses', 'cli', 'command line', null],
        ['import.responses', 'cli', 'command line', null],
        ['import.responses', 'cli', 'command line', null],
        ['import.events', 'cli', 'command line', null],
      ]);
      expect(found.map((l) => l.detail)).to.deep.equal([
        { file: responses, dry_run: true, taken: 1, refused: 1, skipped: 0 },
        { file: responses, dry_run: false, taken: 1, refused: 1, skipped: 0 },
        { file: responses, dry_run: false, taken: 0, refused: 1, skipped: 1 },
        { file: events, dry_run: false, send: true, taken: 1, refused: 1, scheduled: 1 },
      ]);
      const { agent } = await ctx.signIn('admin');
      const rows = pageRows((await agent.get('/audit?action=import.').expect(200)).text);
      expect(rows.map((r) => [r.who, r.where])).to.deep.equal(Array(4).fill(['command line', '–']));
      expect(rows[0].what).to.equal(`imported events from ${events} with --send (customers may be surveyed): 1 row taken, 1 row refused, 1 scheduled import.events`);
      expect(rows[3].what).to.equal(`tried (dry run, nothing written) importing responses from ${responses}: 1 row taken, 1 row refused, 0 rows skipped as already imported import.responses`);
    });

    it('an import that stops half-way is still recorded, with what stopped it', async () => {
      let failed: unknown = null;
      try {
        await importResponses(ctx.deps, path.join(dir, 'missing.csv'), () => {});
      } catch (err) {
        failed = err;
      }
      expect(failed).to.be.instanceOf(Error);
      const [line] = await lines('import.');
      expect(line.detail.error).to.be.a('string').and.to.contain('missing.csv');
    });

    it('survey files loaded at start change a survey as the system', async () => {
      const file = path.join(dir, 'orders-nps.json');
      fs.writeFileSync(file, JSON.stringify({ touchpoint: 'orders', metric: 'nps', status: 'draft' }));
      expect(await loadSurveyFiles(ctx.deps, dir)).to.deep.equal([]);
      fs.writeFileSync(file, JSON.stringify({ touchpoint: 'orders', metric: 'nps', status: 'active', rules: { cooldown_after_response_days: 30 } }));
      expect(await loadSurveyFiles(ctx.deps, dir)).to.deep.equal([]);
      // Unchanged: nothing written.
      await loadSurveyFiles(ctx.deps, dir);
      const found = await lines('survey.');
      expect(found.map((l) => [l.action, l.actor_type, l.target_id])).to.deep.equal([
        ['survey.created', 'system', 'orders-nps'],
        ['survey.status_changed', 'system', 'orders-nps'],
        ['survey.rules_changed', 'system', 'orders-nps'],
      ]);
      expect(found[1].detail).to.deep.equal({ from: 'draft', to: 'active', file });
      // The file's rules are the whole truth: the default response cooldown of 90 becomes 30, and the invitation cooldown (90 by default) stays.
      expect(found[2].detail.changes).to.deep.equal({ cooldown_after_response_days: { from: 90, to: 30 } });
    });

    it('a survey made through the API or the form is recorded as created', async () => {
      const { agent } = await ctx.signIn('admin');
      await agent
        .post('/api/v1/surveys')
        .set('Authorization', `Bearer ${ctx.apiKey}`)
        .send({ key: 'support-csat', touchpoint: 'support', metric: 'csat', status: 'active' })
        .expect(201);
      const [line] = await lines('survey.');
      expect([line.action, line.actor_type, line.actor_label, line.target_id]).to.deep.equal(['survey.created', 'api_key', 'tests', 'support-csat']);
      expect(line.detail).to.deep.equal({ status: 'active', source: 'api' });
    });
  });
});

/** Polls until `check` holds (no timing assertion: only a generous upper bound). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}
