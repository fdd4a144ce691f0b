import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContextPerTest } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { toDbTime } from '../../server/db/time.ts';
import { DAY } from '../../server/clock.ts';

describe('unsubscribe', () => {
  const ctx = withTestContextPerTest();

  const customer = (id: number) => ctx.deps.db('customers').where({ id }).first();
  const touchpointUnsubscribes = (customerId: number) => ctx.deps.db('touchpoint_unsubscribes').where({ customer_id: customerId });

  it('one-click POST (RFC 8058) without cookies or CSRF token unsubscribes from all and answers 200, not a redirect', async () => {
    const seeded = await seedInvitation(ctx, { state: 'sent' });
    const res = await supertest(ctx.app)
      .post(`/u/${seeded.token}`)
      .type('form')
      .send('List-Unsubscribe=One-Click');
    expect(res.status).to.equal(200);
    expect(res.headers).not.to.have.property('location');
    expect(res.headers).not.to.have.property('set-cookie');
    expect(res.text).to.contain('You are unsubscribed');
    expect((await customer(seeded.customerId)).unsubscribed_at).to.equal(toDbTime(ctx.clock.now()));
  });

  it('one-click POST sent as multipart/form-data works too', async () => {
    const seeded = await seedInvitation(ctx, { state: 'sent' });
    const res = await supertest(ctx.app).post(`/u/${seeded.token}`).field('List-Unsubscribe', 'One-Click');
    expect(res.status).to.equal(200);
    expect((await customer(seeded.customerId)).unsubscribed_at).to.be.a('string');
  });

  it('GET shows both choices, changes nothing, in the invitation’s locale', async () => {
    const seeded = await seedInvitation(ctx, { state: 'sent', locale: 'de' });
    const res = await supertest(ctx.app).get(`/u/${seeded.token}`).expect(200);
    expect(res.text).to.contain('lang="de"');
    expect(res.text).to.match(/<button[^>]*name="scope" value="touchpoint"/);
    expect(res.text).to.match(/<button[^>]*name="scope" value="all"/);
    expect(res.text).to.contain(`action="/u/${seeded.token}"`);
    expect(res.text).to.contain('Gar keine Umfrage-E-Mails mehr');
    expect((await customer(seeded.customerId)).unsubscribed_at).to.equal(null);
    expect(await touchpointUnsubscribes(seeded.customerId)).to.have.length(0);
  });

  it('scope=touchpoint stops this touchpoint only, and undo takes it back', async () => {
    const seeded = await seedInvitation(ctx, { state: 'sent' });
    const done = await supertest(ctx.app).post(`/u/${seeded.token}`).type('form').send({ scope: 'touchpoint' }).expect(200);
    expect(done.text).to.contain('You will receive no more surveys about');
    expect(done.text).to.contain(`action="/u/${seeded.token}/undo"`);
    expect(done.text).to.contain('name="scope" value="touchpoint"');
    const rows = await touchpointUnsubscribes(seeded.customerId);
    expect(rows).to.have.length(1);
    expect(rows[0].touchpoint_id).to.equal(seeded.survey.touchpoint_id);
    expect((await customer(seeded.customerId)).unsubscribed_at).to.equal(null);

    // Twice is harmless.
    await supertest(ctx.app).post(`/u/${seeded.token}`).type('form').send({ scope: 'touchpoint' }).expect(200);
    expect(await touchpointUnsubscribes(seeded.customerId)).to.have.length(1);

    // The page now says so.
    const again = await supertest(ctx.app).get(`/u/${seeded.token}`).expect(200);
    expect(again.text).to.contain('You are unsubscribed from surveys about');

    const undone = await supertest(ctx.app).post(`/u/${seeded.token}/undo`).type('form').send({ scope: 'touchpoint' }).expect(200);
    expect(undone.text).to.contain('You are subscribed again');
    expect(await touchpointUnsubscribes(seeded.customerId)).to.have.length(0);
  });

  it('scope=all from the page, then undo', async () => {
    const seeded = await seedInvitation(ctx, { state: 'sent' });
    await supertest(ctx.app).post(`/u/${seeded.token}`).type('form').send({ scope: 'all' }).expect(200);
    expect((await customer(seeded.customerId)).unsubscribed_at).to.be.a('string');
    const page = await supertest(ctx.app).get(`/u/${seeded.token}`).expect(200);
    expect(page.text).to.contain('You are unsubscribed from all survey emails');
    await supertest(ctx.app).post(`/u/${seeded.token}/undo`).type('form').send({ scope: 'all' }).expect(200);
    expect((await customer(seeded.customerId)).unsubscribed_at).to.equal(null);
  });

  it('keeps working after the answer link has expired', async () => {
    const seeded = await seedInvitation(ctx, { state: 'sent' });
    ctx.clock.advance(60 * DAY);
    await supertest(ctx.app).get(`/u/${seeded.token}`).expect(200);
    await supertest(ctx.app).post(`/u/${seeded.token}`).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect((await customer(seeded.customerId)).unsubscribed_at).to.equal(toDbTime(ctx.clock.now()));
  });

  it('answers an unknown token with a friendly 404 that reveals nothing, and changes nothing', async () => {
    const seeded = await seedInvitation(ctx, { state: 'sent' });
    const wrong = seeded.token.slice(0, -2) + (seeded.token.endsWith('AA') ? 'BB' : 'AA');
    for (const res of [
      await supertest(ctx.app).get(`/u/${wrong}`).set('Accept-Language', 'de'),
      await supertest(ctx.app).post(`/u/${wrong}`).type('form').send('List-Unsubscribe=One-Click'),
      await supertest(ctx.app).post(`/u/${wrong}/undo`).type('form').send({ scope: 'all' }),
      await supertest(ctx.app).get('/u/%3Cscript%3E'),
    ]) {
      expect(res.status).to.equal(404);
      expect(res.text).not.to.contain(seeded.email);
      expect(res.text).not.to.contain('Test Customer');
    }
    const german = await supertest(ctx.app).get(`/u/${wrong}`).set('Accept-Language', 'de');
    expect(german.text).to.contain('Link nicht gefunden');
    expect((await customer(seeded.customerId)).unsubscribed_at).to.equal(null);
  });

  it('refuses an unknown scope naming the field', async () => {
    const seeded = await seedInvitation(ctx, { state: 'sent' });
    const res = await supertest(ctx.app).post(`/u/${seeded.token}`).type('form').send({ scope: 'everything' });
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('scope');
    expect((await customer(seeded.customerId)).unsubscribed_at).to.equal(null);
  });
});
