import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { FIRST_DATE } from '../../server/dates.ts';
import { MAX_PAGE } from '../../server/validation.ts';

/**
 * Issue 10, point 8: every date and number parameter is range-checked. This walks every API call and
 * page that takes one, with values out of range, malformed, or beyond what Date can hold, and expects
 * 422 naming the parameter, never 500; and the bounds themselves are accepted.
 */

const RANGE = new RegExp(`between ${FIRST_DATE}`);
type Bad = { value: string; message?: RegExp };

/** Dates out of range (the shared bound: 2000-01-01 to 2100-12-31) and dates that are no dates. */
const badDates: Bad[] = [
  { value: '9999-12-31', message: RANGE },
  { value: '0001-01-01', message: RANGE },
  { value: '0000-01-01', message: RANGE },
  { value: '1999-12-31', message: RANGE },
  { value: '2101-01-01', message: RANGE },
  { value: '1970-01-01', message: RANGE },
  { value: '2026-02-30' },
  { value: '2026-13-01' },
  { value: '2026-1-1' },
  { value: '275760-09-13' },
  { value: '+275760-09-13' },
  { value: '99999-01-01' },
  { value: 'yesterday' },
  { value: '-1' },
];
/** Instants (accepted by the API's from and to) out of range, or overflowing. */
const badInstants: Bad[] = [
  { value: '9999-12-31T23:59:59Z', message: RANGE },
  { value: '1999-12-31T23:59:59.999Z', message: RANGE },
  { value: '2101-01-01T00:00:00Z', message: RANGE },
  { value: '0000-01-01T00:00:00Z', message: RANGE },
  { value: '2100-12-31T23:00:00-05:00', message: RANGE },
  { value: '+275760-09-13T00:00:00.000Z' },
  { value: '2026-11-23T25:00:00Z' },
];
/** Page numbers: from 1 to MAX_PAGE (10 000). */
const badPages: Bad[] = ['0', '-1', String(MAX_PAGE + 1), '99999999', '99999999999999999999', '1e309', 'Infinity', 'NaN', '1.5', 'abc'].map((value) => ({ value }));
/** Limits per call: from 1 to the call's maximum (1 000 on /api/v1/responses). */
const badLimits: Bad[] = ['0', '-1', '1001', '99999999999999999999', '1e309', 'Infinity', '2.5', 'many'].map((value) => ({ value }));

interface QueryCase {
  /** The page or API call, with its other (valid) parameters. */
  path: string;
  api: boolean;
  param: string;
  bad: Bad[];
}

const dateParams = (path: string, api: boolean, bad: Bad[]): QueryCase[] => ['from', 'to'].map((param) => ({ path, api, param, bad }));

const queryCases: QueryCase[] = [
  ...dateParams('/api/v1/metrics?survey=delivery-nps', true, [...badDates, ...badInstants]),
  ...dateParams('/api/v1/responses', true, [...badDates, ...badInstants]),
  { path: '/api/v1/responses', api: true, param: 'limit', bad: badLimits },
  ...dateParams('/dashboard', false, badDates),
  ...dateParams('/dashboard/delivery-nps', false, badDates),
  ...dateParams('/dashboard/delivery-nps/responses.csv', false, badDates),
  ...dateParams('/dashboard/delivery-nps/series.csv', false, badDates),
  ...dateParams('/deliveries', false, badDates),
  { path: '/deliveries', api: false, param: 'page', bad: badPages },
  { path: '/follow-ups', api: false, param: 'page', bad: badPages },
  ...dateParams('/audit', false, badDates),
  { path: '/audit', api: false, param: 'page', bad: badPages },
  ...dateParams('/audit.csv', false, badDates),
];

const withParam = (path: string, param: string, value: string) => `${path}${path.includes('?') ? '&' : '?'}${param}=${encodeURIComponent(value)}`;

describe('range checks: every date and number parameter answers 422 naming it, never 500', function () {
  this.timeout(120_000);
  const ctx = withTestContext();
  let agent: supertest.Agent;
  let csrf: string;

  before(async () => {
    await seedInvitation(ctx, { surveyKey: 'delivery-nps', state: 'sent' });
    ({ agent, csrf } = await ctx.signIn('admin'));
  });

  const get = (path: string, api: boolean, accept = 'application/json') =>
    api ? ctx.api.get(path) : agent.get(path).set('Accept', accept);

  for (const c of queryCases) {
    it(`GET ${c.path}: ${c.param} (${c.bad.length} bad values)`, async () => {
      for (const { value, message } of c.bad) {
        const url = withParam(c.path, c.param, value);
        const res = await get(url, c.api);
        expect(res.status, `${url}: ${res.text.slice(0, 200)}`).to.equal(422);
        if (/^application\/problem\+json/.test(res.headers['content-type'])) {
          const named = (res.body.errors as { field: string; message: string }[]).find((e) => e.field === c.param);
          expect(named, `${url} names ${c.param}: ${JSON.stringify(res.body)}`).to.not.equal(undefined);
          if (message) expect(named!.message, url).to.match(message);
          expect(res.body.title, url).to.contain(`${c.param}: `);
        } else {
          // A page that shows its filter form again, with the error beside the field or above the form.
          expect(c.api, `${url} answers problem+json`).to.equal(false);
          const said = new RegExp(`id="f-${c.param}-error"[^>]*>([^<]+)<`).exec(res.text) ?? new RegExp(`\\b${c.param}: ([^<]+)<`).exec(res.text);
          expect(said, `${url} names ${c.param}`).to.not.equal(null);
          if (message) expect(said![1], url).to.match(message);
        }
      }
      // Given twice: not a date or number either.
      const twice = await get(`${withParam(withParam(c.path, c.param, '2026-01-01'), c.param, '2026-02-01')}`, c.api);
      expect(twice.status, 'given twice').to.equal(422);
    });
  }

  it('the pages say which parameter and why, in HTML too', async () => {
    for (const path of ['/dashboard?to=9999-12-31', '/deliveries?from=0001-01-01', '/dashboard/delivery-nps?from=1999-12-31', '/follow-ups?page=10001']) {
      const res = await agent.get(path).expect(422);
      expect(res.headers['content-type'], path).to.match(/^text\/html/);
      expect(res.text, path).to.match(/(to|from|page): must be (a date between 2000-01-01 and 2100-12-31|at most 10000)/);
    }
  });

  it('the bounds themselves are accepted everywhere', async () => {
    const ok = [
      ['/api/v1/metrics?survey=delivery-nps&from=2000-01-01&to=2100-12-31', true],
      ['/api/v1/metrics?survey=delivery-nps&from=2000-01-01T00:00:00Z&to=2100-12-31T23:59:59.999Z&interval=month', true],
      ['/api/v1/responses?from=2000-01-01&to=2100-12-31&limit=1000', true],
      ['/api/v1/responses?limit=1', true],
      ['/dashboard?from=2000-01-01&to=2000-03-31', false],
      ['/dashboard?from=2100-10-01&to=2100-12-31', false],
      ['/dashboard/delivery-nps?from=2000-01-01&to=2000-01-31', false],
      ['/dashboard/delivery-nps?from=2100-12-01&to=2100-12-31', false],
      ['/dashboard/delivery-nps/responses.csv?from=2100-12-01&to=2100-12-31', false],
      ['/dashboard/delivery-nps/series.csv?from=2000-01-01&to=2000-01-31', false],
      ['/deliveries?from=2000-01-01&to=2100-12-31', false],
      [`/deliveries?page=${MAX_PAGE}`, false],
      [`/follow-ups?page=${MAX_PAGE}`, false],
      ['/audit?from=2000-01-01&to=2100-12-31', false],
      [`/audit?page=${MAX_PAGE}`, false],
      ['/deliveries?from=&to=&page=', false],
    ] as const;
    for (const [path, api] of ok) {
      const res = await get(path, api, 'text/html');
      expect(res.status, `${path}: ${res.text.slice(0, 300)}`).to.equal(200);
    }
  });

  it('the widest period the API takes, by day, answers in reasonable time', async () => {
    const started = Date.now();
    const res = await get('/api/v1/metrics?survey=delivery-nps&from=2000-01-01&to=2100-12-31&interval=day', true);
    expect(res.status).to.equal(200);
    expect(Date.now() - started).to.be.below(20_000);
  });

  describe('POST /api/v1/events: occurred_at', () => {
    const event = (occurred_at: unknown, n: number) => ({
      touchpoint: 'delivery',
      transaction_id: `range-${n}`,
      customer: { id: `range-${n}`, email: `range-${n}@example.com` },
      occurred_at,
    });
    const bad: Bad[] = [
      { value: '9999-12-31T23:59:59Z' },
      { value: '1999-12-31T23:59:59Z', message: RANGE },
      { value: '0001-01-01T00:00:00Z', message: RANGE },
      { value: '2101-01-01T00:00:00Z', message: RANGE },
      { value: '+275760-09-13T00:00:00Z' },
      { value: '2026-02-30T10:00:00Z' },
      { value: '2026-11-23' },
    ];

    it('one event: 422 naming occurred_at', async () => {
      for (const [n, { value, message }] of bad.entries()) {
        const res = await ctx.api.post('/api/v1/events').send(event(value, n));
        expect(res.status, `${value}: ${res.text}`).to.equal(422);
        const named = (res.body.errors as { field: string; message: string }[]).find((e) => e.field === 'occurred_at');
        expect(named, value).to.not.equal(undefined);
        if (message) expect(named!.message, value).to.match(message);
      }
    });

    it('in a batch: that event is invalid, naming occurred_at, the others go on', async () => {
      const res = await ctx.api
        .post('/api/v1/events/batch')
        .send({ events: bad.map(({ value }, n) => event(value, 100 + n)) })
        .expect(200);
      for (const result of res.body.results) {
        expect(result.status).to.equal('invalid');
        expect(result.errors.map((e: { field: string }) => e.field)).to.include('occurred_at');
      }
    });
  });

  describe('POST /api-keys: expires', () => {
    it('a date that is not one, in the past, or too far ahead: 422 with the error beside the field', async () => {
      for (const value of ['9999-12-31', '0001-01-01', '1999-12-31', '2026-02-30', '+275760-09-13T00:00:00Z', '9999-12-31T23:59:59Z', 'soon']) {
        const res = await agent.post('/api-keys').type('form').send({ _csrf: csrf, name: `range-${value}`, expires: value });
        expect(res.status, `expires=${value}`).to.equal(422);
        expect(res.text, `expires=${value}`).to.match(/id="f-expires-error"/);
      }
    });
  });

  describe('POST /surveys/:key/simulate: the rule numbers', () => {
    const fields = [
      'sample_rate',
      'send_delay_minutes',
      'cooldown_after_invitation_days',
      'cooldown_after_response_days',
      'global_cooldown_after_invitation_days',
      'global_cooldown_after_response_days',
      'global_cap_count',
      'global_cap_window_days',
    ];
    const values = ['-1', '99999999999999999999', '1e309', 'Infinity', '1e3', 'abc'];

    it('each field: 422 with the error beside it', async () => {
      for (const field of fields) {
        for (const value of values) {
          const res = await agent.post('/surveys/delivery-nps/simulate').type('form').send({ _csrf: csrf, global_cap_count: '3', global_cap_window_days: '90', [field]: value });
          expect(res.status, `${field}=${value}`).to.equal(422);
          expect(res.text, `${field}=${value}`).to.match(new RegExp(`id="f-${field}-error"`));
        }
      }
    });
  });
});
