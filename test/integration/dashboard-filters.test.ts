import { expect } from 'chai';
import supertest from 'supertest';
import { parse } from 'csv-parse/sync';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation, storeAnswer } from '../helpers/invitations.ts';
import { expectProblem } from '../helpers/bad-bodies.ts';
import { writeTransaction } from '../../server/db/dialect.ts';

/**
 * Property filters (`where=name:value`) end to end: the figures of GET /api/v1/metrics and of the dashboard
 * pages, checked against figures this file computes itself from the seed lists below.
 */

type Props = Record<string, unknown>;
type Where = Record<string, string[]>;

interface SeedResponse {
  score: number;
  at: string;
  props: Props;
  comment?: string;
  /** Index into `invitations`: the answer to that invitation. */
  invitation?: number;
}

interface SeedInvitation {
  surveyKey: string;
  /** null: scheduled, never sent (only its event counts). */
  sentAt: string | null;
  /** When its event was received (the send time for sent ones). */
  receivedAt: string;
  props: Props;
  answer?: { at: string; score: number };
}

const CUR = { from: '2026-05-04', to: '2026-05-17' };
const PREV = { from: '2026-04-20', to: '2026-05-03' };
const MIN = 30; // min_bucket_responses by default
const NPS_TEST = 'z-test on the NPS difference (NPS variance)';

// ---- the seed ------------------------------------------------------------------------------------------

const SCORES = [10, 9, 3, 8, 10, 6, 9, 0, 7, 10, 5, 9, 2];
const HOURS = ['T00:30:00.000Z', 'T12:00:00.000Z', 'T23:30:00.000Z'];
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

const responses: SeedResponse[] = [];
/** `count` web answers spread over the 14 days from `firstDay`, every property kind represented. */
function addResponses(count: number, firstDay: string, shift: number, region: unknown, label: string) {
  for (let i = 0; i < count; i++) {
    const k = responses.length;
    const props: Props = {
      plan: k % 3 === 0 ? 'pro' : 'team',
      vip: k % 4 === 0,
      tier: k === 5 ? '2' : k % 5 === 0 ? 2 : 1, // one tier written as the string "2"
      slot: k % 6 === 1 ? '09:00' : '14:00', // a value with a colon
      'app.version': k % 2 ? '2.1' : '2.0', // a name with a dot
    };
    if (region !== undefined) props.region = region;
    responses.push({
      score: SCORES[(k + shift) % SCORES.length],
      at: `${addDays(firstDay, i % 14)}${HOURS[k % 3]}`,
      props,
      comment: k % 7 === 0 ? `Comment ${k} from ${label}` : undefined,
    });
  }
}
// This period (4–17 May 2026).
addResponses(40, CUR.from, 0, 'north', 'north');
addResponses(32, CUR.from, 5, 'south', 'south');
addResponses(3, CUR.from, 1, undefined, 'nowhere');
addResponses(1, CUR.from, 2, null, 'nowhere');
addResponses(1, CUR.from, 3, { zone: 'north' }, 'nowhere');
// The previous period (20 April – 3 May).
addResponses(36, PREV.from, 2, 'north', 'north');
addResponses(10, PREV.from, 7, 'south', 'south');
// Just outside both.
responses.push({ score: 0, at: '2026-04-19T23:30:00.000Z', props: { region: 'north', plan: 'pro', vip: true, tier: 2 } });
responses.push({ score: 0, at: '2026-05-18T00:30:00.000Z', props: { region: 'north', plan: 'pro', vip: true, tier: 2 } });

const north = (extra: Props = {}): Props => ({ region: 'north', plan: 'team', vip: false, tier: 1, ...extra });
const south = (extra: Props = {}): Props => ({ region: 'south', plan: 'team', vip: false, tier: 1, ...extra });
const sent = (sentAt: string, props: Props, answer?: { at: string; score: number }): SeedInvitation => ({ surveyKey: 'delivery-nps', sentAt, receivedAt: sentAt, props, answer });
const invitations: SeedInvitation[] = [
  // Sent Tuesday 5 May (week of 4 May).
  sent('2026-05-05T09:00:00.000Z', north({ vip: true, tier: 2 }), { at: '2026-05-05T15:00:00.000Z', score: 10 }),
  sent('2026-05-05T09:00:00.000Z', north({ plan: 'pro' }), { at: '2026-05-12T10:00:00.000Z', score: 4 }), // answered the week after
  sent('2026-05-05T09:00:00.000Z', north({ plan: 'pro' })),
  ...Array.from({ length: 3 }, () => sent('2026-05-05T09:00:00.000Z', north())),
  sent('2026-05-05T09:00:00.000Z', south(), { at: '2026-05-06T08:00:00.000Z', score: 9 }),
  ...Array.from({ length: 3 }, () => sent('2026-05-05T09:00:00.000Z', south())),
  // Sent Sunday 10 May at 18:45 UTC: week of 4 May in UTC, Monday 11 May 00:15 in Asia/Kolkata (a zone whose midnight falls inside a UTC hour).
  sent('2026-05-10T18:45:00.000Z', south()),
  // Sent Tuesday 12 May late in the evening (week of 11 May).
  sent('2026-05-12T23:30:00.000Z', north({ plan: 'pro', vip: true, tier: 2 }), { at: '2026-05-13T07:00:00.000Z', score: 9 }),
  sent('2026-05-12T23:30:00.000Z', north({ plan: 'pro', vip: true, tier: 2 }), { at: '2026-05-13T07:00:00.000Z', score: 6 }),
  ...Array.from({ length: 3 }, () => sent('2026-05-12T23:30:00.000Z', north())),
  sent('2026-05-12T23:30:00.000Z', south({ plan: 'pro', vip: true }), { at: '2026-05-14T12:00:00.000Z', score: 10 }),
  sent('2026-05-12T23:30:00.000Z', south({ plan: 'pro', vip: true }), { at: '2026-05-14T12:00:00.000Z', score: 8 }),
  sent('2026-05-12T23:30:00.000Z', south({ plan: 'pro', vip: true }), { at: '2026-05-14T12:00:00.000Z', score: 1 }),
  // Sent on the last evening of the period, answered after it.
  sent('2026-05-17T20:00:00.000Z', north(), { at: '2026-05-19T09:00:00.000Z', score: 9 }),
  // Sent in the previous period.
  sent('2026-04-28T10:00:00.000Z', north(), { at: '2026-04-29T10:00:00.000Z', score: 7 }),
  sent('2026-04-28T10:00:00.000Z', north()),
  // An event of the period whose invitation is still scheduled.
  { surveyKey: 'delivery-nps', sentAt: null, receivedAt: '2026-05-08T10:00:00.000Z', props: north() },
  // Another touchpoint's invitation: never in the delivery figures.
  { surveyKey: 'support-csat', sentAt: '2026-05-06T10:00:00.000Z', receivedAt: '2026-05-06T10:00:00.000Z', props: north() },
];
invitations.forEach((inv, i) => {
  if (inv.surveyKey === 'delivery-nps' && inv.answer) responses.push({ score: inv.answer.score, at: inv.answer.at, props: inv.props, invitation: i });
});

// ---- the figures, computed here -------------------------------------------------------------------------

/** A property value as the filter compares it: strings as they are, numbers and booleans written out. */
const valueText = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
const matches = (props: Props, where: Where) =>
  Object.entries(where).every(([name, values]) => {
    const text = valueText(props[name]);
    return text !== null && values.includes(text);
  });
/** The local date of an instant in a zone `offset` hours east of UTC (no DST: UTC, Asia/Tokyo). */
const localDay = (at: string, offset: number) => new Date(Date.parse(at) + offset * 3_600_000).toISOString().slice(0, 10);
const mondayOf = (day: string) => addDays(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7));
const inRange = (day: string, range: { from: string; to: string }) => day >= range.from && day <= range.to;

function nps(scores: number[]) {
  const n = scores.length;
  const promoters = scores.filter((s) => s >= 9).length;
  const detractors = scores.filter((s) => s <= 6).length;
  const passives = n - promoters - detractors;
  if (n === 0) return { n, promoters, passives, detractors, score: null, moe95: null, low95: null, high95: null, variance: 0 };
  const p = promoters / n;
  const d = detractors / n;
  const variance = p + d - (p - d) ** 2;
  const score = 100 * (p - d);
  const moe95 = 196 * Math.sqrt(variance / n);
  return { n, promoters, passives, detractors, score, moe95, low95: Math.max(-100, score - moe95), high95: Math.min(100, score + moe95), variance };
}

const scoresIn = (where: Where, range: { from: string; to: string }, offset: number) =>
  responses.filter((r) => matches(r.props, where) && inRange(localDay(r.at, offset), range));

function expectedReport(where: Where, offset: number) {
  const current = scoresIn(where, CUR, offset);
  const before = scoresIn(where, PREV, offset);
  const overall = nps(current.map((r) => r.score));
  const previous = nps(before.map((r) => r.score));
  const distribution: Record<string, number> = {};
  for (let s = 0; s <= 10; s++) distribution[String(s)] = current.filter((r) => r.score === s).length;

  const delivery = invitations.filter((inv) => inv.surveyKey === 'delivery-nps' && matches(inv.props, where));
  const sentNow = delivery.filter((inv) => inv.sentAt !== null && inRange(localDay(inv.sentAt, offset), CUR));
  const events = delivery.filter((inv) => inRange(localDay(inv.receivedAt, offset), CUR)).length;
  const rate = (list: SeedInvitation[]) => {
    const answered = list.filter((inv) => inv.answer).length;
    return { sent: list.length, responded: answered, rate: list.length ? answered / list.length : null };
  };

  const weeks = [...new Set([...current.map((r) => mondayOf(localDay(r.at, offset))), ...sentNow.map((inv) => mondayOf(localDay(inv.sentAt!, offset)))])].sort();
  const series = weeks.map((start) => ({
    start,
    ...nps(current.filter((r) => mondayOf(localDay(r.at, offset)) === start).map((r) => r.score)),
    ...rate(sentNow.filter((inv) => mondayOf(localDay(inv.sentAt!, offset)) === start)),
  }));

  let change: { difference: number; statistic: number } | null = null;
  if (overall.n >= MIN && previous.n >= MIN) {
    const difference = overall.score! - previous.score!;
    const se = Math.sqrt(previous.variance / previous.n + overall.variance / overall.n);
    change = { difference, statistic: difference / 100 / se };
  }
  return { overall, previous, distribution, response_rate: rate(sentNow), funnel: { events, invitations_sent: sentNow.length, responses: rate(sentNow).responded }, series, change, current };
}

type Figures = ReturnType<typeof nps>;
const close = (actual: number | null, expected: number | null, label: string) => {
  if (expected === null) expect(actual, label).to.equal(null);
  else expect(actual, label).to.be.closeTo(expected, 1e-9);
};
function expectFigures(actual: Record<string, unknown>, expected: Figures, label: string, band = true) {
  expect(actual, label).to.include({ n: expected.n, promoters: expected.promoters, passives: expected.passives, detractors: expected.detractors, too_small: expected.n < MIN });
  close(actual.score as number | null, expected.score, `${label} score`);
  close(actual.moe95 as number | null, expected.moe95, `${label} moe95`);
  if (band) {
    close(actual.low95 as number | null, expected.low95, `${label} low95`);
    close(actual.high95 as number | null, expected.high95, `${label} high95`);
  }
}

/** Every figure of an API answer against the figures computed here. */
function expectReport(body: Record<string, any>, where: Where, offset: number, label: string) {
  const e = expectedReport(where, offset);
  expect(body.test, label).to.equal(NPS_TEST);
  expect(body.where, label).to.deep.equal(where);
  expectFigures(body.overall, e.overall, `${label} overall`);
  expect(body.distribution, `${label} distribution`).to.deep.equal(e.distribution);
  expect(body.previous.from, label).to.equal(PREV.from);
  expect(body.previous.to, label).to.equal(PREV.to);
  expectFigures(body.previous.overall, e.previous, `${label} previous`, false);
  expect(body.response_rate, `${label} response_rate`).to.deep.equal(e.response_rate);
  expect(body.funnel, `${label} funnel`).to.deep.equal(e.funnel);
  expect(body.series.map((b: { start: string }) => b.start), `${label} series`).to.deep.equal(e.series.map((b) => b.start));
  body.series.forEach((b: Record<string, unknown>, i: number) => {
    const x = e.series[i];
    expectFigures(b, x, `${label} bucket ${x.start}`);
    expect(b, `${label} bucket ${x.start}`).to.include({ sent: x.sent, responded: x.responded });
    close(b.rate as number | null, x.rate, `${label} bucket ${x.start} rate`);
  });
  if (e.change === null) {
    expect(body.change, `${label} change`).to.equal(null);
  } else {
    expect(body.change, `${label} change`).to.be.an('object');
    expect(body.change.test).to.equal(NPS_TEST);
    close(body.change.difference, e.change.difference, `${label} difference`);
    close(body.change.statistic, e.change.statistic, `${label} statistic`);
    expect(body.change.p).to.be.within(0, 1);
    expect(body.change.significant, `${label} significant`).to.equal(Math.abs(e.change.statistic) > 1.959964);
  }
  return e;
}

// ---- HTML helpers ---------------------------------------------------------------------------------------

const unescape = (s: string) =>
  s.replace(/&#x3D;/g, '=').replace(/&#x27;/g, "'").replace(/&#x60;/g, '`').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
/** A link as path and parameters; `where` as the list of its entries. */
const link = (escapedHref: string) => {
  const url = new URL(unescape(escapedHref), 'http://touchpoint.test');
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (k !== 'where') params[k] = v;
  return { path: url.pathname, params, where: url.searchParams.getAll('where') };
};
const hrefBefore = (html: string, text: string) => {
  const m = new RegExp(`<a href="([^"]+)"[^>]*>${text}`).exec(html);
  expect(m, `a link "${text}"`).to.not.equal(null);
  return link(m![1]);
};
/** The rows of the table that follows a marker, as text cells. */
const rowsAfter = (html: string, marker: string) => {
  expect(html).to.contain(marker);
  const table = html.slice(html.indexOf(marker)).split('</table>')[0];
  return [...table.matchAll(/<tr>(.*?)<\/tr>/gs)].slice(1).map((m) => [...m[1].matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/gs)].map((c) => c[1].replace(/<[^>]+>/g, '').trim()));
};
const commentsOf = (html: string) => [...html.matchAll(/<p class="comment"[^>]*>“(.*?)”<\/p>/gs)].map((m) => m[1]);
const chipsOf = (html: string) => [...html.matchAll(/<li><span>([^<]+)<\/span> <a href="([^"]+)">Remove<span/g)].map((m) => ({ text: m[1], href: link(m[2]) }));
const pickerOf = (html: string) => {
  const m = /<select id="pf-add" name="where">(.*?)<\/select>/s.exec(html);
  expect(m, 'the filter picker').to.not.equal(null);
  return [...m![1].matchAll(/<option value="([^"]+)">/g)].map((o) => unescape(o[1]));
};
const percent = (share: number | null) => (share === null ? '–' : `${Math.round(100 * share)} %`);
const query = (params: Record<string, string>, where: string[]) => {
  const q = new URLSearchParams(params);
  for (const w of where) q.append('where', w);
  return q.toString();
};

describe('property filters on the dashboards and GET /api/v1/metrics', function () {
  this.timeout(120_000);
  const ctx = withTestContext();
  let viewer: supertest.Agent;

  const api = (where: string[], extra: Record<string, string> = {}) =>
    ctx.api.get(`/api/v1/metrics?${query({ survey: 'delivery-nps', from: CUR.from, to: CUR.to, interval: 'week', ...extra }, where)}`);
  const page = (path: string, where: string[], extra: Record<string, string> = {}) => viewer.get(`${path}?${query({ ...CUR, ...extra }, where)}`);

  before(async () => {
    const db = ctx.deps.db;
    const ids: number[] = [];
    for (const inv of invitations) {
      ctx.clock.set(inv.receivedAt);
      const seeded = await seedInvitation(ctx, {
        surveyKey: inv.surveyKey,
        metric: inv.surveyKey === 'support-csat' ? 'csat' : 'nps',
        state: inv.sentAt ? 'sent' : 'scheduled',
        // The event keeps booleans and numbers as they are (JSON).
        properties: inv.props,
      });
      ids.push(seeded.invitationId);
    }
    const survey = await db('surveys').where({ key: 'delivery-nps' }).first();
    await writeTransaction(db, async (trx) => {
      for (const r of responses) {
        await storeAnswer(
          trx,
          {
            survey_id: survey.id,
            invitation_id: r.invitation === undefined ? null : ids[r.invitation],
            score: r.score,
            comment: r.comment ?? null,
            channel: r.invitation === undefined ? 'web' : 'email',
            locale: 'en',
            answered_at: new Date(r.at),
            properties: r.props,
          },
          'UTC',
        );
      }
    });
    ctx.clock.set('2026-05-20T10:00:00Z');
    viewer = (await ctx.signIn('viewer')).agent;
  });

  describe('GET /api/v1/metrics', () => {
    it('without a filter: every response, invitation and event of the survey (the baseline of the figures here)', async () => {
      const res = await api([]).expect(200);
      const e = expectReport(res.body, {}, 0, 'no filter');
      expect(e.overall.n).to.equal(77 + 8);
      expect(e.response_rate).to.deep.equal({ sent: 20, responded: 9, rate: 9 / 20 });
      expect(e.funnel.events).to.equal(21);
      expect(res.body.series.map((b: { start: string }) => b.start)).to.deep.equal(['2026-05-04', '2026-05-11']);
    });

    it('where=region:north: the north responses, and the invitations and events whose event is north', async () => {
      const res = await api(['region:north']).expect(200);
      const e = expectReport(res.body, { region: ['north'] }, 0, 'region:north');
      expect(res.body.overall.n).to.equal(44);
      expect(res.body.where).to.deep.equal({ region: ['north'] });
      // 6 sent on 5 May (2 answered, one of them the week after), 5 on 12 May (2 answered), 1 on 17 May (answered on the 19th).
      expect(res.body.response_rate).to.deep.equal({ sent: 12, responded: 5, rate: 5 / 12 });
      expect(res.body.funnel).to.deep.equal({ events: 13, invitations_sent: 12, responses: 5 });
      expect(res.body.series.map((b: Record<string, unknown>) => [b.start, b.sent, b.responded])).to.deep.equal([
        ['2026-05-04', 6, 2],
        ['2026-05-11', 6, 3],
      ]);
      expect(e.series.map((b) => b.n)).to.deep.equal([res.body.series[0].n, res.body.series[1].n]);
    });

    it('where=region:south: its own invitations; no change when the previous period has too few', async () => {
      const res = await api(['region:south']).expect(200);
      expectReport(res.body, { region: ['south'] }, 0, 'region:south');
      expect(res.body.overall.n).to.equal(36);
      expect(res.body.previous.overall.n).to.equal(10);
      expect(res.body.change).to.equal(null);
      expect(res.body.response_rate).to.deep.equal({ sent: 8, responded: 4, rate: 4 / 8 });
      expect(res.body.series.map((b: Record<string, unknown>) => [b.start, b.sent, b.responded])).to.deep.equal([
        ['2026-05-04', 5, 1],
        ['2026-05-11', 3, 3],
      ]);
    });

    it('previous and change: both periods with at least 30 responses give the change and its test', async () => {
      const body = (await api(['region:north']).expect(200)).body;
      const e = expectedReport({ region: ['north'] }, 0);
      expect(e.overall.n).to.be.at.least(MIN);
      expect(e.previous.n).to.be.at.least(MIN);
      expect(body.previous.overall.n).to.equal(37);
      expect(body.change).to.not.equal(null);
      expect(body.change.difference).to.be.closeTo(e.overall.score! - e.previous.score!, 1e-9);
      expect(body.overall.low95).to.be.closeTo(Math.max(-100, e.overall.score! - e.overall.moe95!), 1e-9);
      expect(body.overall.high95).to.be.closeTo(Math.min(100, e.overall.score! + e.overall.moe95!), 1e-9);
      // Too few now (plan:pro), too few before (south): no change.
      const pro = (await api(['plan:pro']).expect(200)).body;
      expect(pro.overall.n < MIN || pro.previous.overall.n < MIN).to.equal(true);
      expect(pro.change).to.equal(null);
    });

    it('previous is null when from or to is missing, and so is change', async () => {
      const res = await ctx.api
        .get(`/api/v1/metrics?${query({ survey: 'delivery-nps', to: CUR.to }, ['region:north'])}`)
        .expect(200);
      expect(res.body.previous).to.equal(null);
      expect(res.body.change).to.equal(null);
      expect(res.body.from).to.equal(null);
      const untilTo = responses.filter((r) => matches(r.props, { region: ['north'] }) && localDay(r.at, 0) <= CUR.to);
      expect(res.body.overall.n).to.equal(untilTo.length);
    });

    const filters: { entries: string[]; where: Where }[] = [
      { entries: ['region:north', 'region:south'], where: { region: ['north', 'south'] } },
      { entries: ['vip:true'], where: { vip: ['true'] } },
      { entries: ['vip:false'], where: { vip: ['false'] } },
      { entries: ['tier:2'], where: { tier: ['2'] } },
      { entries: ['tier:1', 'tier:2'], where: { tier: ['1', '2'] } },
      { entries: ['slot:09:00'], where: { slot: ['09:00'] } },
      { entries: ['app.version:2.1'], where: { 'app.version': ['2.1'] } },
      { entries: ['region:north', 'plan:pro'], where: { plan: ['pro'], region: ['north'] } },
      { entries: ['vip:true', 'region:south', 'tier:1'], where: { region: ['south'], tier: ['1'], vip: ['true'] } },
      { entries: ['region:nowhere'], where: { region: ['nowhere'] } },
    ];
    for (const { entries, where } of filters) {
      const name = entries.map((w) => `where=${w}`).join('&');
      it(`${name}: the same figures from the rollup path, the responses (tz=Etc/UTC) and other zones`, async () => {
        const rollup = (await api(entries).expect(200)).body;
        expectReport(rollup, where, 0, `${name} (reporting zone)`);
        const raw = (await api(entries, { tz: 'Etc/UTC' }).expect(200)).body;
        expectReport(raw, where, 0, `${name} (Etc/UTC)`);
        expect({ ...raw, tz: 'UTC' }, `${name}: both paths agree`).to.deep.equal(rollup);
        const tokyo = (await api(entries, { tz: 'Asia/Tokyo' }).expect(200)).body;
        expectReport(tokyo, where, 9, `${name} (Asia/Tokyo)`);
        const kolkata = (await api(entries, { tz: 'Asia/Kolkata' }).expect(200)).body;
        expectReport(kolkata, where, 5.5, `${name} (Asia/Kolkata)`);
      });
    }

    it('values of one property are alternatives: north or south is everything with a region', async () => {
      const both = (await api(['region:north', 'region:south']).expect(200)).body;
      const withRegion = responses.filter((r) => (r.props.region === 'north' || r.props.region === 'south') && inRange(localDay(r.at, 0), CUR));
      expect(both.overall.n).to.equal(withRegion.length);
      expect(both.overall.n).to.equal(44 + 36);
      const all = (await api([]).expect(200)).body;
      expect(both.overall.n).to.be.below(all.overall.n);
    });

    it('matches booleans and numbers as written out, strings "2" and numbers 2 alike', async () => {
      const vip = (await api(['vip:true']).expect(200)).body;
      expect(vip.overall.n).to.equal(scoresIn({ vip: ['true'] }, CUR, 0).length);
      expect(vip.overall.n).to.be.above(0);
      const tier = (await api(['tier:2']).expect(200)).body;
      const tierTwo = scoresIn({ tier: ['2'] }, CUR, 0);
      expect(tierTwo.some((r) => r.props.tier === '2')).to.equal(true);
      expect(tierTwo.some((r) => r.props.tier === 2)).to.equal(true);
      expect(tier.overall.n).to.equal(tierTwo.length);
      // No response has vip "yes" or tier "02".
      expect((await api(['vip:yes']).expect(200)).body.overall.n).to.equal(0);
      expect((await api(['tier:02']).expect(200)).body.overall.n).to.equal(0);
      expect((await api(['tier:02'], { tz: 'Etc/UTC' }).expect(200)).body.overall.n).to.equal(0);
    });

    it('splits the filtered responses by a segment', async () => {
      const body = (await api(['region:north'], { segment: 'plan' }).expect(200)).body;
      const north = scoresIn({ region: ['north'] }, CUR, 0);
      expect(Object.keys(body.segments)).to.have.members(['pro', 'team']);
      expect(body.segments.pro.n).to.equal(north.filter((r) => r.props.plan === 'pro').length);
      expect(body.segments.team.n).to.equal(north.filter((r) => r.props.plan === 'team').length);
    });

    it('ignores empty entries and repeats', async () => {
      const body = (await api(['', 'region:north', ' ', 'region:north']).expect(200)).body;
      expect(body.where).to.deep.equal({ region: ['north'] });
      expect(body.overall.n).to.equal(44);
      const none = (await api(['']).expect(200)).body;
      expect(none.where).to.deep.equal({});
      expect(none.overall.n).to.equal(85);
    });

    it('takes 20 entries', async () => {
      const entries = Array.from({ length: 19 }, (_, i) => `region:r${i}`).concat('region:north');
      const body = (await api(entries).expect(200)).body;
      expect(body.overall.n).to.equal(44);
      expect(body.where.region).to.have.length(20);
      // The picker's empty "Choose a value" entry beside 20 filters is not a 21st.
      expect((await api([...entries, '']).expect(200)).body.where.region).to.have.length(20);
    });

    for (const [label, entries] of [
      ['no colon', ['region']],
      ['no name', [':north']],
      ['a space in the name', ['bad name:x']],
      ['no value', ['region:']],
      ['a value of 201 characters', [`region:${'x'.repeat(201)}`]],
      ['21 entries', Array.from({ length: 21 }, (_, i) => `region:r${i}`)],
      ['one bad entry among good ones', ['region:north', 'plan pro']],
    ] as const) {
      it(`refuses ${label} with 422 naming where`, async () => {
        const res = await api([...entries]);
        expectProblem(res, { status: 422, field: 'where' }, label);
      });
    }
  });

  describe('pages', () => {
    it('overview: the chip with its Remove link, the filtered card and links that keep the filter', async () => {
      const html = (await page('/dashboard', ['region:north']).expect(200)).text;
      const e = expectedReport({ region: ['north'] }, 0);
      expect(chipsOf(html)).to.deep.equal([{ text: 'region is north', href: { path: '/dashboard', params: CUR, where: [] } }]);
      expect(hrefBefore(html, 'Clear all filters')).to.deep.equal({ path: '/dashboard', params: CUR, where: [] });
      expect(html).to.contain('Only responses where region is north;');

      const card = html.slice(html.indexOf('id="tp-delivery"'), html.indexOf('</article>', html.indexOf('id="tp-delivery"')));
      expect(card).to.contain(`<p class="count">${e.overall.n} responses`);
      const rounded = Math.round(e.overall.score!);
      expect(card).to.contain(`<span class="score">NPS ${rounded > 0 ? '+' : rounded < 0 ? '−' : ''}${Math.abs(rounded)}</span>`);
      expect(card).to.contain(`Response rate ${percent(e.response_rate.rate)} <span class="muted">(${e.response_rate.responded} of ${e.response_rate.sent} invitations sent in the period)</span>`);
      const cardComments = commentsOf(card);
      expect(cardComments).to.have.length(5);
      for (const c of cardComments) expect(c).to.match(/from north$/);
      expect(hrefBefore(card, 'Trend, segments and all comments')).to.deep.equal({ path: '/dashboard/delivery-nps', params: CUR, where: ['region:north'] });
      expect(hrefBefore(html, 'Last 7 days')).to.deep.equal({ path: '/dashboard', params: { preset: '7d' }, where: ['region:north'] });
      // The period form carries the filter.
      expect(html).to.contain('<input type="hidden" name="where" value="region:north">');

      const picker = pickerOf(html);
      expect(picker).to.include.members(['region:south', 'plan:pro', 'plan:team', 'vip:true', 'vip:false', 'tier:1', 'tier:2', 'slot:09:00', 'app.version:2.1']);
      expect(picker, 'the active filter is not offered again').not.to.include('region:north');
    });

    it('overview: two filters, each removable on its own', async () => {
      const html = (await page('/dashboard', ['region:north', 'plan:pro']).expect(200)).text;
      const chips = chipsOf(html);
      expect(chips.map((c) => c.text)).to.deep.equal(['plan is pro', 'region is north']);
      expect(chips[0].href).to.deep.equal({ path: '/dashboard', params: CUR, where: ['region:north'] });
      expect(chips[1].href).to.deep.equal({ path: '/dashboard', params: CUR, where: ['plan:pro'] });
      const e = expectedReport({ region: ['north'], plan: ['pro'] }, 0);
      const card = html.slice(html.indexOf('id="tp-delivery"'));
      expect(card).to.contain(`<p class="count">${e.overall.n} responses`);
    });

    it('touchpoint page: filtered headline, trend table with invitations, funnel, comments and export links', async () => {
      const html = (await page('/dashboard/delivery-nps', ['region:north'], { interval: 'week' }).expect(200)).text;
      const e = expectedReport({ region: ['north'] }, 0);
      expect(chipsOf(html)).to.deep.equal([{ text: 'region is north', href: { path: '/dashboard/delivery-nps', params: { ...CUR, interval: 'week' }, where: [] } }]);
      expect(hrefBefore(html, 'Clear all filters')).to.deep.equal({ path: '/dashboard/delivery-nps', params: { ...CUR, interval: 'week' }, where: [] });
      expect(html).to.contain('only responses where region is north');
      expect(html).to.contain(`<p class="count">${e.overall.n} responses`);
      expect(html).to.contain(`(${e.response_rate.responded} of ${e.response_rate.sent} invitations sent in the period)`);

      const trend = rowsAfter(html, 'Numbers of the trend');
      expect(trend.map((r) => [r[3], r[4], r[5]])).to.deep.equal(e.series.map((b) => [String(b.n), String(b.sent), percent(b.rate)]));
      expect(html).to.contain('<th scope="col">Invitations sent</th><th scope="col">Response rate</th>');

      const byGroup = (group: string) => rowsAfter(html, 'id="distribution-title"').filter((r) => r[1] === group).reduce((n, r) => n + Number(r[2]), 0);
      expect(['Detractors', 'Passives', 'Promoters'].map(byGroup)).to.deep.equal([e.overall.detractors, e.overall.passives, e.overall.promoters]);
      expect(rowsAfter(html, 'id="funnel-title"').map((r) => r[1])).to.deep.equal([e.funnel.events, e.funnel.invitations_sent, e.funnel.responses].map(String));

      const comments = commentsOf(html);
      const expected = e.current.filter((r) => r.comment).map((r) => r.comment);
      expect(comments).to.have.members(expected);
      expect(html).to.contain(`${expected.length} comments match`);

      expect(hrefBefore(html, 'Responses \\(CSV\\)')).to.deep.equal({ path: '/dashboard/delivery-nps/responses.csv', params: { ...CUR, interval: 'week' }, where: ['region:north'] });
      expect(hrefBefore(html, 'Series \\(CSV\\)')).to.deep.equal({ path: '/dashboard/delivery-nps/series.csv', params: { ...CUR, interval: 'week' }, where: ['region:north'] });
      expect(hrefBefore(html, 'Last 30 days')).to.deep.equal({ path: '/dashboard/delivery-nps', params: { preset: '30d', interval: 'week' }, where: ['region:north'] });
      expect(pickerOf(html)).to.include('region:south').and.not.include('region:north');
    });

    it('touchpoint page: each segment row links to the page filtered to its value', async () => {
      const html = (await page('/dashboard/delivery-nps', [], { segment: 'region' }).expect(200)).text;
      const rows = rowsAfter(html, 'by region, best first');
      expect(rows.map((r) => r[0])).to.have.members(['north', 'south', '(none)']);
      expect(hrefBefore(html, 'north</a>')).to.deep.equal({ path: '/dashboard/delivery-nps', params: { ...CUR, segment: 'region' }, where: ['region:north'] });
      expect(hrefBefore(html, 'south</a>')).to.deep.equal({ path: '/dashboard/delivery-nps', params: { ...CUR, segment: 'region' }, where: ['region:south'] });
      expect(html).not.to.match(/>\(none\)<\/a>/);

      // Under a filter: the segments of the filtered responses, and links that add to the filter.
      const pro = (await page('/dashboard/delivery-nps', ['plan:pro'], { segment: 'region' }).expect(200)).text;
      const proRows = rowsAfter(pro, 'by region, best first');
      const proNow = scoresIn({ plan: ['pro'] }, CUR, 0);
      const northPro = proRows.find((r) => r[0] === 'north')!;
      expect(northPro[3]).to.equal(String(proNow.filter((r) => r.props.region === 'north').length));
      const northLink = hrefBefore(pro, 'north</a>');
      expect(northLink.path).to.equal('/dashboard/delivery-nps');
      expect(northLink.params).to.deep.equal({ ...CUR, segment: 'region' });
      expect(northLink.where).to.have.members(['plan:pro', 'region:north']);
      // Following the link shows the north pro responses.
      const followed = (await viewer.get(unescape(/<a href="([^"]+)"[^>]*>north<\/a>/.exec(pro)![1])).expect(200)).text;
      expect(followed).to.contain(`<p class="count">${expectedReport({ plan: ['pro'], region: ['north'] }, 0).overall.n} responses`);
    });

    it('responses.csv: only the rows that match', async () => {
      const res = await page('/dashboard/delivery-nps/responses.csv', ['region:north']).expect(200);
      const rows: Record<string, string>[] = parse(res.text, { bom: true, columns: true });
      expect(rows).to.have.length(expectedReport({ region: ['north'] }, 0).overall.n);
      expect(rows.every((r) => r.region === 'north')).to.equal(true);
      const both = parse((await page('/dashboard/delivery-nps/responses.csv', ['region:north', 'vip:true']).expect(200)).text, { bom: true, columns: true }) as Record<string, string>[];
      expect(both).to.have.length(scoresIn({ region: ['north'], vip: ['true'] }, CUR, 0).length);
      expect(both.every((r) => r.region === 'north' && r.vip === 'true')).to.equal(true);
    });

    it('series.csv: the filtered buckets with band and response rate columns', async () => {
      const res = await page('/dashboard/delivery-nps/series.csv', ['region:north'], { interval: 'week' }).expect(200);
      const rows: Record<string, string>[] = parse(res.text, { bom: true, columns: true });
      expect(Object.keys(rows[0])).to.include.members(['start', 'n', 'score', 'low95', 'high95', 'sent', 'responded', 'response_rate', 'too_small']);
      expect(Object.keys(rows[0]).slice(-6)).to.deep.equal(['low95', 'high95', 'sent', 'responded', 'response_rate', 'too_small']);
      const e = expectedReport({ region: ['north'] }, 0);
      expect(rows.map((r) => [r.start, Number(r.n), Number(r.sent), Number(r.responded), r.too_small])).to.deep.equal(
        e.series.map((b) => [b.start, b.n, b.sent, b.responded, String(b.n < MIN)]),
      );
      rows.forEach((r, i) => {
        expect(Number(r.response_rate)).to.be.closeTo(e.series[i].rate!, 1e-9);
        expect(Number(r.low95)).to.be.closeTo(e.series[i].low95!, 1e-9);
        expect(Number(r.high95)).to.be.closeTo(e.series[i].high95!, 1e-9);
      });
    });

    it('refuses a bad filter on the pages with 422', async () => {
      await page('/dashboard', ['region']).expect(422);
      await page('/dashboard/delivery-nps', [':north']).expect(422);
      await page('/dashboard/delivery-nps/series.csv', ['bad name:x']).expect(422);
      await page('/dashboard/delivery-nps/responses.csv', Array.from({ length: 21 }, (_, i) => `region:r${i}`)).expect(422);
    });
  });
});
