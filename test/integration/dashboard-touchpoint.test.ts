import { expect } from 'chai';
import supertest from 'supertest';
import { parse } from 'csv-parse/sync';
import { withTestContext } from '../helpers/context.ts';
import { activeSurvey, seedInvitation, storeAnswer } from '../helpers/invitations.ts';
import { writeTransaction } from '../../server/db/dialect.ts';

type Seed = { score: number; at: string; comment?: string; properties?: Record<string, string>; invitationId?: number };

/** A JSON data block of a page. */
const chartOf = (html: string, id: string) => JSON.parse(new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(html)![1]);
/** The rows of the table that follows a heading, as text cells. */
const rowsAfter = (html: string, marker: string) => {
  const table = html.slice(html.indexOf(marker)).split('</table>')[0];
  return [...table.matchAll(/<tr>(.*?)<\/tr>/gs)].slice(1).map((m) => [...m[1].matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/gs)].map((c) => c[1].replace(/<[^>]+>/g, '').trim()));
};
const commentsOf = (html: string) => [...html.matchAll(/<p class="comment"[^>]*>“(.*?)”<\/p>/gs)].map((m) => m[1]);

describe('touchpoint dashboard, period comparison and CSV exports', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let viewer: supertest.Agent;
  const period = { from: '2026-11-01', to: '2026-11-14' };

  async function seed(surveyKey: string, metric: 'nps' | 'csat' | 'ces', rows: Seed[]) {
    const survey = await activeSurvey(ctx, { key: surveyKey, metric });
    await writeTransaction(ctx.deps.db, async (trx) => {
      for (const r of rows) {
        await storeAnswer(
          trx,
          { survey_id: survey.id, score: r.score, comment: r.comment ?? null, channel: 'web', locale: 'en', answered_at: new Date(r.at), properties: r.properties ?? {}, invitation_id: r.invitationId ?? null },
          'UTC',
        );
      }
    });
    return survey;
  }

  before(async () => {
    const day = (base: string, i: number) => `${base.slice(0, 8)}${String(Number(base.slice(8)) + (i % 14)).padStart(2, '0')}T12:00:00Z`;
    // Previous fortnight (Oct 18–31): 10 promoters, 10 passives, 20 detractors: NPS −25.
    await seed('delivery-nps', 'nps', Array.from({ length: 40 }, (_, i) => ({ score: i < 10 ? 10 : i < 20 ? 7 : 2, at: day('2026-10-18', i) })));
    // Ten invitations sent on Nov 5, four of them answered.
    ctx.clock.set('2026-11-05T09:00:00Z');
    const invitations: { invitationId: number }[] = [];
    for (let i = 0; i < 10; i++) invitations.push(await seedInvitation(ctx, { surveyKey: 'delivery-nps', state: 'sent' }));
    ctx.clock.set('2026-11-23T10:00:00Z');
    // This fortnight (Nov 1–14): 25 promoters, 10 passives, 5 detractors: NPS +50.
    const comments: Record<number, string> = {
      0: 'Driver was great',
      30: 'Parcel 100% late',
      31: 'late_delivery again',
      32: 'Very late, box latex-sealed',
      35: '=HYPERLINK("http://evil.example","click")',
      36: 'He said "fine", then left',
    };
    await seed(
      'delivery-nps',
      'nps',
      Array.from({ length: 40 }, (_, i) => ({
        score: i < 25 ? 9 + (i % 2) : i < 35 ? 8 : 3,
        at: day('2026-11-01', i),
        comment: comments[i],
        properties: (i % 4 === 0 ? { region: 'south', plan: 'team' } : { region: 'north' }) as Record<string, string>,
        invitationId: i < 4 ? invitations[i].invitationId : undefined,
      })),
    );
    // Too few to read: five CSAT answers.
    await seed('support-csat', 'csat', Array.from({ length: 5 }, (_, i) => ({ score: 5 - (i % 2), at: day('2026-11-01', i) })));
    viewer = (await ctx.signIn('viewer')).agent;
  });

  it('overview: change against the previous period with its test, response rate, and cards too small to read', async () => {
    const html = (await viewer.get('/dashboard').query(period).expect(200)).text;
    const delivery = html.slice(html.indexOf('id="tp-delivery"'), html.indexOf('id="tp-support"'));
    expect(delivery).to.contain('<span class="score">NPS +50</span>');
    expect(delivery).to.match(/\+75\.0 points vs previous period\s*<span class="verdict">· significant \(p &lt; 0\.001\)/);
    expect(delivery).to.contain('class="change change-up significant"');
    expect(delivery).to.contain('Response rate 40 %');
    expect(delivery).to.contain('(4 of 10 invitations sent in the period)');
    expect(delivery).to.contain('href="/dashboard/delivery-nps?from&#x3D;2026-11-01&amp;to&#x3D;2026-11-14"');
    const support = html.slice(html.indexOf('id="tp-support"'));
    expect(support).to.contain('5 responses <span class="too-small">too few responses to read</span>');
    expect(support).to.contain('too few to compare');
    expect(support).to.contain('Response rate –');
    // The page names its tests and the level.
    expect(html).to.contain('z-test on the NPS difference (NPS variance)');
    expect(html).to.contain('two-proportion z-test');
    expect(html).to.contain('Welch&#x27;s t-test');
    expect(html).to.contain('p &lt; 0.05');
    expect(html).to.contain('compared with 18 Oct 2026 to 31 Oct 2026');
  });

  it('overview: a touchpoint shows its active survey, else its newest', async () => {
    const db = ctx.deps.db;
    const at = ctx.clock.now();
    const { createSurvey } = await import('../../server/surveys/service.ts');
    await createSurvey(db, { key: 'returns-csat', touchpoint: 'returns', metric: 'csat', status: 'archived' }, new Date(at.getTime() - 86_400_000));
    await createSurvey(db, { key: 'returns-nps', touchpoint: 'returns', metric: 'nps', status: 'paused' }, at);
    await createSurvey(db, { key: 'pickup-ces', touchpoint: 'pickup', metric: 'ces', status: 'active' }, new Date(at.getTime() - 86_400_000));
    await createSurvey(db, { key: 'pickup-nps', touchpoint: 'pickup', metric: 'nps', status: 'draft' }, at);
    const html = (await viewer.get('/dashboard').query(period).expect(200)).text;
    expect(html).to.contain('NPS · survey returns-nps (paused)');
    expect(html).to.contain('CES · survey pickup-ces<');
    expect(html).not.to.contain('survey returns-csat');
    expect(html).not.to.contain('survey pickup-nps');
  });

  it('overview presets: last 7 days, this quarter', async () => {
    const week = (await viewer.get('/dashboard?preset=7d').expect(200)).text;
    expect(week).to.contain('value="2026-11-17"');
    expect(week).to.contain('value="2026-11-23"');
    expect(week).to.match(/<a href="\/dashboard\?preset&#x3D;7d" aria-current="true">Last 7 days<\/a>/);
    const quarter = (await viewer.get('/dashboard?preset=quarter').expect(200)).text;
    expect(quarter).to.contain('value="2026-10-01"');
    await viewer.get('/dashboard?preset=year').expect(422);
  });

  it('touchpoint page: trend with its band, distribution, funnel, each with a table', async () => {
    const res = await viewer.get('/dashboard/delivery-nps').query(period).expect(200);
    const html = res.text;
    expect(html).to.match(/<h1>[^<]+ <span class="muted">· NPS<\/span><\/h1>/);
    const trend = chartOf(html, 'chart-trend');
    expect(trend.kind).to.equal('trend');
    expect(trend.points, 'two weeks: days').to.have.length(14);
    const first = trend.points[0];
    expect(first).to.include({ start: '2026-11-01', n: 3, too_small: true });
    expect(first.low).to.be.at.most(first.score);
    expect(first.high).to.be.at.least(first.score);
    expect(first.low).to.be.at.least(-100);
    expect(rowsAfter(html, 'Numbers of the trend')).to.have.length(14);
    expect(html).to.contain('z-test on the NPS difference');
    expect(html).to.match(/\+75\.0 points against 18 Oct 2026 to 31 Oct 2026 · significant/);

    // Every score 0–10, each bar in its group's colour; the groups' totals beside it.
    const dist = chartOf(html, 'chart-distribution') as { labels: string[]; values: number[]; tones: string[] };
    expect(dist.labels).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(dist.tones).to.deep.equal(['low', 'low', 'low', 'low', 'low', 'low', 'low', 'mid', 'mid', 'high', 'high']);
    const sum = (from: number, to: number) => dist.values.slice(from, to + 1).reduce((a, b) => a + b, 0);
    expect([sum(0, 6), sum(7, 8), sum(9, 10)]).to.deep.equal([5, 10, 25]);
    const distRows = rowsAfter(html, 'id="distribution-title"');
    expect(distRows.map((r) => r.slice(0, 3))).to.deep.equal(dist.labels.map((label, i) => [label, i <= 6 ? 'Detractors' : i <= 8 ? 'Passives' : 'Promoters', String(dist.values[i])]));
    expect(html).to.contain('<span class="pill tone-low">Detractors (0–6)</span> 5 (13 %)');
    expect(html).to.contain('<span class="pill tone-mid">Passives (7–8)</span> 10 (25 %)');
    expect(html).to.contain('<span class="pill tone-high">Promoters (9–10)</span> 25 (63 %)');
    expect(chartOf(html, 'chart-funnel').values).to.deep.equal([10, 10, 4]);
    expect(rowsAfter(html, 'id="funnel-title"')).to.deep.equal([
      ['Events', '10', ''],
      ['Invitations sent', '10', '100 % of events'],
      ['Responses', '4', '40 % of invitations'],
    ]);
    expect(html).not.to.contain('style="');
    expect(html).not.to.match(/<script>/);
  });

  it('chooses the interval from the range, and takes ?interval=', async () => {
    const week = chartOf((await viewer.get('/dashboard/delivery-nps').query({ ...period, interval: 'week' }).expect(200)).text, 'chart-trend');
    expect(week.points.map((p: { start: string }) => p.start)).to.deep.equal(['2026-10-26', '2026-11-02', '2026-11-09']);
    const half = chartOf((await viewer.get('/dashboard/delivery-nps').query({ from: '2026-06-01', to: '2026-11-14' }).expect(200)).text, 'chart-trend');
    expect(half.points[0].start).to.equal('2026-06-01');
    expect(half.points[1].start).to.equal('2026-06-08');
    const year = chartOf((await viewer.get('/dashboard/delivery-nps').query({ from: '2025-12-01', to: '2026-11-14' }).expect(200)).text, 'chart-trend');
    expect(year.points).to.have.length(12);
    await viewer.get('/dashboard/delivery-nps').query({ interval: 'hour' }).expect(422);
  });

  it('breaks the score down by a property, best first, and lists the properties present', async () => {
    const html = (await viewer.get('/dashboard/delivery-nps').query({ ...period, segment: 'region' }).expect(200)).text;
    expect(html).to.contain('<option value="region" selected>region</option>');
    expect(html).to.contain('<option value="plan">plan</option>');
    const rows = rowsAfter(html, 'by region, best first');
    expect(rows.map((r) => r[0])).to.have.members(['north', 'south']);
    const scores = rows.map((r) => Number(r[1].replace('−', '-').replace(/[^\d+-]/g, '')));
    expect(scores[0]).to.be.greaterThan(scores[1]);
    expect(rows.reduce((sum, r) => sum + Number(r[3]), 0)).to.equal(40);
    const plan = rowsAfter((await viewer.get('/dashboard/delivery-nps').query({ ...period, segment: 'plan' }).expect(200)).text, 'by plan, best first');
    expect(plan.map((r) => [r[0], r[3]])).to.have.deep.members([['team', '10'], ['(none)', '30']]);
    await viewer.get('/dashboard/delivery-nps').query({ segment: 'a b' }).expect(422);
  });

  it('filters comments by score group and searches them with a literal LIKE', async () => {
    const all = commentsOf((await viewer.get('/dashboard/delivery-nps').query(period).expect(200)).text);
    expect(all).to.have.length(6);
    const detractors = (await viewer.get('/dashboard/delivery-nps').query({ ...period, group: 'detractor' }).expect(200)).text;
    expect(commentsOf(detractors)).to.have.members(['&#x3D;HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)', 'He said &quot;fine&quot;, then left']);
    expect(detractors).to.contain('2 comments match');
    expect(commentsOf((await viewer.get('/dashboard/delivery-nps').query({ ...period, group: 'promoter' }).expect(200)).text)).to.deep.equal(['Driver was great']);
    // % and _ are literal, and the search ignores case.
    expect(commentsOf((await viewer.get('/dashboard/delivery-nps').query({ ...period, q: '100%' }).expect(200)).text)).to.deep.equal(['Parcel 100% late']);
    expect(commentsOf((await viewer.get('/dashboard/delivery-nps').query({ ...period, q: 'LATE_' }).expect(200)).text)).to.deep.equal(['late_delivery again']);
    expect(commentsOf((await viewer.get('/dashboard/delivery-nps').query({ ...period, q: 'late' }).expect(200)).text)).to.have.length(3);
    const none = (await viewer.get('/dashboard/delivery-nps').query({ ...period, q: 'nothing like this' }).expect(200)).text;
    expect(none).to.contain('0 comments match');
    // Groups are per metric.
    await viewer.get('/dashboard/delivery-nps').query({ group: 'low' }).expect(422);
    const csat = (await viewer.get('/dashboard/support-csat').query({ ...period, group: 'low' }).expect(200)).text;
    expect(csat).to.contain('<option value="low" selected>Low (1–2)</option>');
    expect(csat).to.contain('too few responses to read');
  });

  it('keeps every filter in the URL: the forms are GET forms carrying the other filters', async () => {
    const html = (await viewer.get('/dashboard/delivery-nps').query({ preset: '30d', segment: 'region', group: 'promoter', q: 'great' }).expect(200)).text;
    expect(html).to.contain('<form class="period filters" method="get" action="/dashboard/delivery-nps"');
    expect(html).to.contain('<input type="hidden" name="group" value="promoter">');
    expect(html).to.contain('<input type="hidden" name="q" value="great">');
    expect(html).to.contain('<input type="hidden" name="preset" value="30d">');
    expect(html).to.contain('<input type="hidden" name="segment" value="region">');
    expect(html).to.contain('href="/dashboard/delivery-nps?preset&#x3D;7d&amp;segment&#x3D;region&amp;group&#x3D;promoter&amp;q&#x3D;great"');
    expect(html).to.contain('value="2026-10-25"');
  });

  it('answers unknown surveys with 404 and strangers with the login page', async () => {
    await viewer.get('/dashboard/no-such-survey').expect(404);
    await viewer.get('/dashboard/no-such-survey/responses.csv').expect(404);
    const res = await supertest(ctx.app).get('/dashboard/delivery-nps/responses.csv').expect(303);
    expect(res.headers.location).to.match(/^\/login\?next=/);
  });

  it('exports the responses of the period as CSV, quoted and safe from formulas', async () => {
    const res = await viewer.get('/dashboard/delivery-nps/responses.csv').query(period).expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.equal('attachment; filename="delivery-nps-responses-2026-11-01-to-2026-11-14.csv"');
    const rows: Record<string, string>[] = parse(res.text, { bom: true, columns: true });
    expect(rows).to.have.length(40);
    expect(Object.keys(rows[0])).to.deep.equal(['id', 'survey', 'metric', 'score', 'comment', 'channel', 'locale', 'answered_at', 'plan', 'region']);
    const comments = rows.map((r) => r.comment).filter(Boolean);
    expect(comments).to.include('\'=HYPERLINK("http://evil.example","click")');
    expect(comments).to.include('He said "fine", then left');
    expect(res.text).to.contain('"He said ""fine"", then left"');
    expect(rows.filter((r) => r.region === 'south')).to.have.length(10);
    expect(rows.filter((r) => r.plan === 'team')).to.have.length(10);
    expect(rows.every((r) => r.answered_at >= '2026-11-01' && r.answered_at < '2026-11-15')).to.equal(true);
  });

  it('exports the series shown as CSV', async () => {
    const res = await viewer.get('/dashboard/delivery-nps/series.csv').query({ ...period, interval: 'week' }).expect(200);
    const rows: Record<string, string>[] = parse(res.text, { bom: true, columns: true });
    expect(rows.map((r) => r.start)).to.deep.equal(['2026-10-26', '2026-11-02', '2026-11-09']);
    expect(Object.keys(rows[0])).to.include.members(['n', 'score', 'moe95', 'low95', 'high95', 'too_small', 'promoters', 'detractors']);
    expect(rows.reduce((s, r) => s + Number(r.n), 0)).to.equal(40);
    const negative = (await viewer.get('/dashboard/delivery-nps/series.csv').query({ from: '2026-10-18', to: '2026-10-31', interval: 'month' }).expect(200)).text;
    const [october] = parse(negative, { bom: true, columns: true }) as Record<string, string>[];
    // A negative score is a number, not a formula to guard.
    expect(october.score).to.equal('-25');
    expect(october.low95).to.match(/^-\d/);
  });
});
