import { expect } from 'chai';
import type supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { activeSurvey } from '../helpers/invitations.ts';
import { insertResponse } from '../../server/responses/store.ts';
import { writeTransaction } from '../../server/db/dialect.ts';

/** The text of a page without tags, spaces squeezed. */
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('dates and numbers in the reader’s locale, times in the reporting time zone', function () {
  this.timeout(60_000);
  const zone = 'Europe/Berlin';
  const ctx = withTestContext();
  let german: { agent: supertest.Agent; csrf: string };
  let english: { agent: supertest.Agent; csrf: string };

  before(async () => {
    await ctx.deps.db('settings').insert({ key: 'reporting_time_zone', value: JSON.stringify(zone) });
    // Created at 10:00 UTC: 11:00 in Berlin (CET).
    ctx.clock.set('2026-11-23T10:00:00Z');
    const ces = await activeSurvey(ctx, { key: 'onboarding-ces', metric: 'ces' });
    await writeTransaction(ctx.deps.db, async (trx) => {
      for (const [i, score] of [4, 5, 6, 5, 5].entries()) {
        const comment = i === 4 ? 'Easy enough' : null;
        await insertResponse(trx, { survey_id: ces.id, score, comment, channel: 'web', locale: 'en', answered_at: new Date(`2026-11-${String(19 + i).padStart(2, '0')}T10:00:00Z`), properties: {}, invitation_id: null }, zone);
      }
    });
    ctx.clock.set('2026-11-24T09:00:00Z');
    german = await ctx.signIn('viewer');
    english = await ctx.signIn('viewer');
    await german.agent.post('/account/language').type('form').send({ locale: 'de', _csrf: german.csrf }).expect(303).expect('Location', '/account');
  });

  it('offers English and Deutsch on /account, and the page follows the choice', async () => {
    const page = (await german.agent.get('/account').expect(200)).text;
    expect(page).to.match(/<option value="de" selected>Deutsch/);
    expect(page).to.contain('<html lang="de">');
    expect(page).to.contain('<label for="f-locale">');
    const other = (await english.agent.get('/account').expect(200)).text;
    expect(other).to.match(/<option value="en" selected>English/);
  });

  it('refuses a language it does not offer, naming the field, and a form without its CSRF token', async () => {
    const bad = await english.agent.post('/account/language').type('form').send({ locale: 'fr', _csrf: english.csrf }).expect(422);
    expect(bad.text).to.contain('f-locale-error');
    await english.agent.post('/account/language').type('form').send({ locale: 'de' }).expect(403);
    const page = (await english.agent.get('/dashboard').query({ from: '2026-11-01', to: '2026-11-24' }).expect(200)).text;
    expect(page).to.contain('CES 5.0');
  });

  it('shows a German reader German numbers and dates on /dashboard, in the reporting time zone', async () => {
    const de = text((await german.agent.get('/dashboard').query({ from: '2026-11-01', to: '2026-11-24' }).expect(200)).text);
    expect(de).to.contain('CES 5,0');
    expect(de).to.contain('1. Nov. 2026 bis 24. Nov. 2026');
    // Answered 10:00 UTC: 11:00 in Berlin.
    expect(de).to.contain('Wert 5 · 23. Nov. 2026, 11:00');
    // The words are German too.
    expect(de).to.contain('Tage und Wochen in Europe/Berlin');

    const en = text((await english.agent.get('/dashboard').query({ from: '2026-11-01', to: '2026-11-24' }).expect(200)).text);
    expect(en).to.contain('CES 5.0');
    expect(en).to.contain('1 Nov 2026 to 24 Nov 2026');
    expect(en).to.contain('Score 5 · 23 Nov 2026, 11:00');

    const touchpoint = text((await german.agent.get('/dashboard/onboarding-ces').query({ from: '2026-11-01', to: '2026-11-24' }).expect(200)).text);
    expect(touchpoint).to.contain('5,0');
    expect(touchpoint).to.contain('23. Nov. 2026, 11:00');
  });

  it('shows when each survey changed in the reporting time zone on the surveys list, not in UTC', async () => {
    const editor = await ctx.signIn('editor');
    const list = await editor.agent.get('/surveys').expect(200);
    expect(text(list.text)).to.contain('23 Nov 2026, 11:00 CET');
    expect(list.text).not.to.contain('10:00 UTC');
    expect(list.text).to.contain('<time datetime="2026-11-23T10:00:00.000Z">');
  });
});
