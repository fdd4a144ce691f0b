import { expect } from 'chai';
import supertest from 'supertest';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { withTestContext } from '../helpers/context.ts';
import { activeSurvey, seedInvitation, storeAnswer } from '../helpers/invitations.ts';
import { writeTransaction } from '../../server/db/dialect.ts';
import { createApiKey } from '../../server/apikeys/service.ts';
import type { ApiClient } from '../helpers/api-client.ts';

/**
 * Reweighting for non-response through the real path: invitations and answers stored as the worker and the
 * answer page store them, GET /api/v1/metrics with a key that may only read metrics, and the touchpoint page
 * in English and German.
 *
 * The data: invitations sent on 5 November 2026, north 120 (72 answered: 60 promoters, 12 passives),
 * south 120 (36 answered: 6 promoters, 6 passives, 24 detractors), west 5 (2 answered: 9 and 2). North
 * answers twice as often as south and scores higher. Invitation i of a region has plan `team` when i is
 * even (south: a multiple of 6), else `solo`; the first invitations of each region are the answered ones.
 * Besides: a north test invitation and a south invitation never sent (neither counts), and one imported
 * answer (10) without an invitation (in the raw figure, left out of the reweighted one).
 *
 * Expected figures computed answer by answer with python3 (w = 1/propensity of the cell, scaled to add up to
 * n; n_eff = (Σw)²/Σw²; NPS margin 196·sqrt((p + d − (p − d)²)/n_eff) with weighted shares p, d):
 *   raw overall (111 answers)           38.73873873873873 ± 15.428220352126866
 *   unweighted invitation answers (110) 38.18181818181819 ± 15.529814180305927
 *   by region: weights north 0.7482993197278912, south 1.4965986394557824, west (pooled) 1.1224489795918366,
 *     NPS 16.3265306122449 ± 17.819961290871614, n_eff 98.00000000000016
 *     week of 2 Nov (north's answers) 83.33333333333333 ± 8.608422519347254; week of 9 Nov −48 ± 24.864544858894952
 *   by plan: team 83 invitations, 43 answered; solo 162, 67; NPS 35.876431794515796 ± 15.80927766031095
 */

const close = (actual: unknown, expected: number, what = '') => expect(actual, what).to.be.closeTo(expected, 1e-9);

describe('metrics reweighted for non-response', function () {
  this.timeout(120_000);
  const ctx = withTestContext();
  const period = { survey: 'delivery-nps', from: '2026-11-01', to: '2026-11-14', interval: 'week' };
  let reader: ApiClient;

  before(async () => {
    const survey = await activeSurvey(ctx, { key: 'delivery-nps' });
    const regions: [string, number, number[]][] = [
      ['north', 120, [...Array(60).fill(10), ...Array(12).fill(8)]],
      ['south', 120, [...Array(6).fill(10), ...Array(6).fill(8), ...Array(24).fill(3)]],
      ['west', 5, [9, 2]],
    ];
    ctx.clock.set('2026-11-05T09:00:00Z');
    const answers: { invitationId: number; score: number; at: string; properties: Record<string, string> }[] = [];
    for (const [region, invitations, scores] of regions) {
      for (let i = 0; i < invitations; i++) {
        const properties = { region, plan: i % (region === 'south' ? 6 : 2) === 0 ? 'team' : 'solo' };
        const { invitationId } = await seedInvitation(ctx, { state: 'sent', properties });
        if (i < scores.length) answers.push({ invitationId, score: scores[i], at: region === 'north' ? '2026-11-06T12:00:00Z' : '2026-11-10T12:00:00Z', properties });
      }
    }
    // Neither counts: a test invitation (the first-run checklist's) and one never sent.
    const test = await seedInvitation(ctx, { state: 'sent', properties: { region: 'north', plan: 'team' } });
    await ctx.deps.db('invitations').where({ id: test.invitationId }).update({ is_test: true });
    await seedInvitation(ctx, { state: 'scheduled', properties: { region: 'south', plan: 'solo' } });
    await writeTransaction(ctx.deps.db, async (trx) => {
      for (const a of answers) {
        await storeAnswer(trx, { survey_id: survey.id, invitation_id: a.invitationId, score: a.score, channel: 'email', locale: 'en', answered_at: new Date(a.at), properties: a.properties }, 'UTC');
      }
      await storeAnswer(trx, { survey_id: survey.id, score: 10, channel: 'import', source: 'import', answered_at: new Date('2026-11-10T15:00:00Z'), properties: { region: 'north' } }, 'UTC');
    });
    ctx.clock.set('2026-11-20T10:00:00Z');
    const { key } = await createApiKey(ctx.deps.db, { name: 'metrics reader', scopes: ['metrics:read'] }, ctx.clock.now());
    reader = ctx.api.withKey(key);
  });

  it('gives `weighted` beside the raw figures, by region, with cells, the pooled cell and what was left out', async () => {
    const res = await reader.get('/api/v1/metrics').query({ ...period, weight_by: 'region' }).expect(200);
    const { overall } = res.body;
    // The raw figures stay as they are.
    expect(overall).to.include({ n: 111, promoters: 68, passives: 18, detractors: 25 });
    close(overall.score, 38.73873873873873);
    close(overall.moe95, 15.428220352126866);

    const w = overall.weighted;
    expect(w).to.include({ n: 110, invitations: 245, responses: 110, left_out: 1, too_small: false });
    expect(w.weight_by).to.deep.equal(['region']);
    close(w.score, 16.3265306122449, 'score');
    close(w.moe95, 17.819961290871614, 'moe95');
    close(w.n_eff, 98.00000000000016, 'n_eff');
    close(w.low95, w.score - w.moe95);
    close(w.high95, w.score + w.moe95);
    close(w.unweighted.score, 38.18181818181819);
    close(w.unweighted.moe95, 15.529814180305927);
    expect(w.cells.map((c: { values: unknown; invitations: number; responses: number; propensity: number; n: number }) => [c.values, c.invitations, c.responses, c.propensity, c.n])).to.deep.equal([
      [{ region: 'north' }, 120, 72, 0.6, 72],
      [{ region: 'south' }, 120, 36, 0.3, 36],
    ]);
    close(w.cells[0].weight, 0.7482993197278912);
    close(w.cells[1].weight, 1.4965986394557824);
    expect(w.pooled).to.deep.include({ cell_count: 1, cells: [{ region: 'west' }], invitations: 5, responses: 2, propensity: 0.4, n: 2 });
    close(w.pooled.weight, 1.1224489795918366);

    // Each bucket, with the period's weights.
    expect(res.body.series.map((b: { start: string }) => b.start)).to.deep.equal(['2026-11-02', '2026-11-09']);
    const [first, second] = res.body.series.map((b: { weighted: { score: number; moe95: number; n: number } }) => b.weighted);
    close(first.score, 83.33333333333333);
    close(first.moe95, 8.608422519347254);
    expect(first.n).to.equal(72);
    close(second.score, -48);
    close(second.moe95, 24.864544858894952);
    expect(second).to.include({ n: 38 });
  });

  it('leaves every other field as it was without weight_by', async () => {
    const plain = (await reader.get('/api/v1/metrics').query(period).expect(200)).body;
    const weighted = (await reader.get('/api/v1/metrics').query({ ...period, weight_by: 'region' }).expect(200)).body;
    expect(plain.overall).not.to.have.property('weighted');
    expect(plain.series.every((b: object) => !('weighted' in b))).to.equal(true);
    delete weighted.overall.weighted;
    for (const b of weighted.series) delete b.weighted;
    expect(weighted).to.deep.equal(plain);
  });

  it('weighs by another property and by two at once', async () => {
    const plan = (await reader.get('/api/v1/metrics').query({ ...period, weight_by: 'plan' }).expect(200)).body.overall.weighted;
    close(plan.score, 35.876431794515796);
    close(plan.moe95, 15.80927766031095);
    expect(plan.cells.map((c: { values: { plan: string }; invitations: number; responses: number }) => [c.values.plan, c.invitations, c.responses])).to.deep.equal([
      ['team', 83, 43],
      ['solo', 162, 67],
    ]);
    const both = (await reader.get('/api/v1/metrics').query({ ...period, weight_by: 'region,plan' }).expect(200)).body.overall.weighted;
    expect(both.weight_by).to.deep.equal(['region', 'plan']);
    const cells = [...both.cells, ...(both.pooled ? [both.pooled] : [])];
    expect(cells.reduce((a: number, c: { invitations: number }) => a + c.invitations, 0)).to.equal(245);
    expect(both.cells[0].values).to.have.keys('region', 'plan');
    // Under a filter, only the matching invitations and answers: south alone has one cell, so nothing changes.
    const south = (await reader.get('/api/v1/metrics').query({ ...period, weight_by: 'region', where: 'region:south' }).expect(200)).body.overall;
    expect(south.weighted).to.include({ invitations: 120, responses: 36, n: 36, left_out: 0 });
    close(south.weighted.score, south.score);
  });

  for (const weight_by of ['region;drop', 'a,b,c,d', 'region,region', 'region,']) {
    it(`refuses weight_by=${weight_by} naming weight_by`, async () => {
      const res = await reader.get('/api/v1/metrics').query({ ...period, weight_by }).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(['weight_by']);
    });
  }

  it('is described by the OpenAPI document: the parameter and the answer', async () => {
    const doc = (await supertest(ctx.app).get('/api/v1/openapi.json').expect(200)).body;
    const op = doc.paths['/metrics'].get;
    const param = op.parameters.find((p: { name: string }) => p.name === 'weight_by');
    expect(param.description).to.contain('reweighted for non-response');
    expect(doc.components.schemas.Weighted.description).to.contain('post-stratification');
    const base = 'https://touchpoint.test/openapi.json';
    const rebased = JSON.parse(JSON.stringify(doc).replaceAll('"#/components/schemas/', `"${base}#/$defs/`));
    const ajv = new Ajv2020.default({ strict: true, allowUnionTypes: true, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: base, $defs: rebased.components.schemas });
    const check = ajv.compile(rebased.paths['/metrics'].get.responses['200'].content['application/json'].schema);
    for (const weight_by of ['region', 'region,plan']) {
      const body = (await reader.get('/api/v1/metrics').query({ ...period, weight_by }).expect(200)).body;
      expect(check(body), JSON.stringify(check.errors)).to.equal(true);
    }
    // A survey without invitations: weighted, with nothing to weight by.
    await activeSurvey(ctx, { key: 'support-csat', metric: 'csat' });
    const none = (await reader.get('/api/v1/metrics').query({ ...period, survey: 'support-csat', weight_by: 'region' }).expect(200)).body;
    expect(none.overall.weighted).to.deep.include({ score: null, moe95: null, n: 0, n_eff: null, invitations: 0, cells: [], pooled: null, too_small: true });
    expect(check(none), JSON.stringify(check.errors)).to.equal(true);
  });

  describe('the touchpoint page', () => {
    const page = { from: period.from, to: period.to, interval: 'week' };
    /** The page's text without tags, spaces collapsed. */
    const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');

    it('shows the raw and the reweighted score side by side with their bands, and says what the reweighting changed', async () => {
      const { agent } = await ctx.signIn('viewer');
      const html = (await agent.get('/dashboard/delivery-nps').query({ ...page, weight_by: 'region' }).expect(200)).text;
      expect(html).to.match(/<select id="f-weight-by" name="weight_by">[\s\S]*?<option value="region" selected>region<\/option>/);
      const text = textOf(html);
      expect(text).to.contain('As answered NPS +39 ± 15.4 95 % band: +23 to +54 111 responses');
      expect(text).to.contain('Reweighted for region NPS +16 ± 17.8 95 % band: −1 to +34 110 responses, worth 98.0 unweighted ones (effective sample size)');
      expect(text).to.contain(
        'Reweighted for region (north answers 60 % of invitations, south 30 %), NPS moves from +38 to +16: the customers who answer less often score lower.',
      );
      expect(text).to.contain('1 group with fewer than 20 invitations or without answers is pooled into one (5 invitations, 40 % answered).');
      expect(text).to.contain('1 answer of the period came without an invitation (web links, imports) and is left out of the reweighted figure; the other answers, unweighted, give NPS +38');
      expect(text).to.contain('north 120 72 60 % 72 0.75');
      expect(text).to.contain('Pooled: west 5 2 40 % 2 1.12');
      // The trend's numbers gain the reweighted score of each bucket.
      expect(html).to.match(/<th scope="col">Reweighted<\/th><\/tr><\/thead>/);
      // The week of 9 November: −44 as answered (with the imported answer), −48 reweighted.
      expect(text).to.match(/ −44 .* −48 /);
      // The preset periods' links keep the choice (Handlebars writes = as &#x3D;).
      expect(html).to.match(/href="[^"]*preset&#x3D;7d[^"]*weight_by&#x3D;region/);

      const plan = textOf((await agent.get('/dashboard/delivery-nps').query({ ...page, weight_by: 'plan' }).expect(200)).text);
      expect(plan).to.contain('Reweighted for plan (team answers 52 % of invitations, solo 41 %), NPS goes from +38 to +36, which changes it by less than its margin of ± 15.8.');

      const off = (await agent.get('/dashboard/delivery-nps').query(page).expect(200)).text;
      expect(off).not.to.contain('weighted-card');
      expect(off).to.match(/<option value="">\(not reweighted\)<\/option>/);
    });

    it('says it in German', async () => {
      const { agent, email } = await ctx.signIn('viewer');
      await ctx.deps.db('users').where({ email }).update({ locale: 'de' });
      const text = textOf((await agent.get('/dashboard/delivery-nps').query({ ...page, weight_by: 'region' }).expect(200)).text);
      expect(text).to.contain('Wie geantwortet und für Nichtantworten neu gewichtet');
      expect(text).to.contain('Neu gewichtet nach region NPS +16 ± 17,8');
      expect(text).to.contain('110 Antworten, so viel wert wie 98,0 ungewichtete (effektive Stichprobengröße)');
      expect(text).to.contain(
        'Nach region neu gewichtet (north: 60 % der Einladungen beantwortet, south: 30 %), geht der NPS von +38 auf +16: Wer seltener antwortet, vergibt niedrigere Werte.',
      );
      expect(text).to.contain('1 Gruppe mit weniger als 20 Einladungen oder ohne Antworten wird zu einer zusammengefasst (5 Einladungen, 40 % beantwortet).');
      expect(text).to.contain('1 Antwort im Zeitraum kam ohne Einladung (Web-Links, Importe) und fließt nicht in den neu gewichteten Wert ein');
      expect(text).to.contain('Wie die Neugewichtung funktioniert');
      expect(text).not.to.contain('Reweighted for');
      const plan = textOf((await agent.get('/dashboard/delivery-nps').query({ ...page, weight_by: 'plan' }).expect(200)).text);
      expect(plan).to.contain('geht der NPS von +38 auf +36; das ist weniger als seine Fehlerspanne von ± 15,8.');
    });

    it('refuses a bad weight_by on the page', async () => {
      const { agent } = await ctx.signIn('viewer');
      await agent.get('/dashboard/delivery-nps').query({ ...page, weight_by: 'region;drop' }).expect(422);
    });
  });
});
