import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { loadDemo } from '../../server/demo/seed.ts';
import { formatScore } from '../../server/dashboards/format.ts';

describe('dashboard page', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  before(async () => {
    await loadDemo(ctx.deps);
  });

  it('shows a viewer a card per touchpoint with score, margin, chart data and a table', async () => {
    const { agent } = await ctx.signIn('viewer');
    const res = await agent.get('/dashboard').expect(200);
    const html = res.text;
    for (const name of ['Delivery', 'Support ticket closed', 'Onboarding call']) expect(html).to.contain(`>${name}</h2>`);
    expect(html.match(/<article class="card touchpoint-card"/g)).to.have.length(3);
    expect(html).to.match(/<span class="score">NPS [+−]?\d+<\/span>/);
    expect(html).to.match(/<span class="score">CSAT \d+ %<\/span>/);
    expect(html).to.match(/<span class="score">CES \d\.\d<\/span>/);
    expect(html).to.match(/± \d+\.\d/);
    // Chart data in a JSON block (no inline script), the numbers also in a table.
    const blocks = [...html.matchAll(/<script type="application\/json" id="trend-([a-z-]+)">([^<]*)<\/script>/g)];
    expect(blocks.map((m) => m[1]).sort()).to.deep.equal(['delivery-nps', 'onboarding-ces', 'support-csat']);
    const chart = JSON.parse(blocks[0][2]);
    expect(chart.points.length).to.be.within(13, 15);
    expect(chart.points[0]).to.have.keys(['start', 'label', 'score', 'n', 'too_small']);
    expect(chart.locale).to.equal('en');
    // The axis labels are the dates as the reader's locale writes them, as in the table.
    expect(html).to.contain(`>${chart.points[0].label}</time>`);
    expect(html.match(/<table>/g)).to.have.length(3);
    expect(html).not.to.match(/<script>(?!\s*<\/script>)/);
    expect(html).not.to.contain('style="');
    expect(html).to.contain('src="/vendor/chart.umd.js"');
    expect(html).to.contain('src="/public/js/charts.js"');
    expect(html).to.contain('href="/public/css/dashboard.css"');
    // Latest comments with score and date.
    expect(html.match(/<p class="muted">Score \d+ · /g)?.length).to.be.greaterThan(5);
  });

  it('takes the period from the URL', async () => {
    const { agent } = await ctx.signIn('viewer');
    const now = ctx.clock.now();
    const day = (ms: number) => new Date(now.getTime() - ms * 86_400_000).toISOString().slice(0, 10);
    const res = await agent.get('/dashboard').query({ from: day(13), to: day(0) }).expect(200);
    const chart = JSON.parse(/<script type="application\/json" id="trend-delivery-nps">([^<]*)<\/script>/.exec(res.text)![1]);
    expect(chart.points.length).to.be.within(2, 3);
    expect(res.text).to.contain(`value="${day(13)}"`);
    await agent.get('/dashboard').query({ from: 'soon' }).expect(422);
  });

  it('links each card to its touchpoint page, which renders for NPS, CSAT and CES with a table per chart', async () => {
    const { agent } = await ctx.signIn('viewer');
    const overview = (await agent.get('/dashboard?preset=30d').expect(200)).text;
    const links = [...overview.matchAll(/<a href="(\/dashboard\/[a-z-]+\?preset&#x3D;30d)">/g)].map((m) => m[1].replace('&#x3D;', '='));
    expect(links.sort()).to.deep.equal(['/dashboard/delivery-nps?preset=30d', '/dashboard/onboarding-ces?preset=30d', '/dashboard/support-csat?preset=30d']);
    for (const link of links) {
      const html = (await agent.get(link).query({ segment: 'region' }).expect(200)).text;
      const charts = [...html.matchAll(/<canvas data-chart="([a-z-]+)"/g)].map((m) => m[1]);
      expect(charts).to.deep.equal(['chart-trend', 'chart-distribution', 'chart-funnel']);
      for (const id of charts) expect(html).to.contain(`<script type="application/json" id="${id}">`);
      expect(html.match(/<table>/g)!.length, 'a table per chart, and one for the segments').to.equal(4);
      expect(html).to.contain('by region, best first');
      const trend = JSON.parse(/<script type="application\/json" id="chart-trend">([^<]*)<\/script>/.exec(html)![1]);
      expect(trend.points, '30 days: by day').to.have.length(30);
    }
    const ces = (await agent.get('/dashboard/onboarding-ces?preset=30d').expect(200)).text;
    expect(JSON.parse(/id="chart-distribution">([^<]*)</.exec(ces)![1]).labels).to.deep.equal(['1', '2', '3', '4', '5', '6', '7']);
  });

  it('sends people who are not signed in to the login page', async () => {
    const res = await supertest(ctx.app).get('/dashboard').expect(303);
    expect(res.headers.location).to.match(/^\/login\?next=%2Fdashboard/);
  });

  it('serves the chart script and library', async () => {
    await supertest(ctx.app).get('/public/js/charts.js').expect(200);
    await supertest(ctx.app).get('/vendor/chart.umd.js').expect(200);
  });

  it('formats scores as people read them', () => {
    expect(formatScore('nps', 21.7)).to.equal('+22');
    expect(formatScore('nps', -4.2)).to.equal('−4');
    expect(formatScore('nps', -0.4)).to.equal('0');
    expect(formatScore('csat', 76.5)).to.equal('77 %');
    expect(formatScore('ces', 5.224)).to.equal('5.2');
    expect(formatScore('ces', null)).to.equal('–');
  });
});
