import express from 'express';
import supertest from 'supertest';
import { expect } from 'chai';
import { withTestContextPerTest } from '../helpers/context.ts';
import { brandCss, brandLocals, brandOf, brandStylesheet } from '../../server/http/brand.ts';
import { LIGHT_BACKGROUNDS, contrastRatio, readableOn, textOn } from '../../server/settings/contrast.ts';
import { defaultSettings, updateSettings } from '../../server/settings/service.ts';

const config = { mailFrom: '"Acme care" <care@acme.example>', baseUrl: 'https://touchpoint.acme.example' };

describe('brand: logo and colours on what customers see', () => {
  it('measures contrast as WCAG 2 does', () => {
    expect(contrastRatio('#ffffff', '#000000')).to.be.closeTo(21, 1e-9);
    expect(contrastRatio('#777777', '#ffffff')).to.be.closeTo(4.48, 0.01);
    expect(contrastRatio('#2f5fd0', '#ffffff')).to.equal(contrastRatio('#ffffff', '#2f5fd0'));
  });

  it('keeps text readable on any brand colour, and links readable on the light backgrounds', () => {
    // Every colour on a 16-step grid of each channel, and some picked by hand.
    const colours = ['#2f5fd0', '#ffd000', '#00ff00', '#ffffff', '#000000', '#aa3300', '#7fb2ff', '#e0e0e0', '#767676'];
    for (let i = 0; i < 4096; i++) colours.push(`#${[i >> 8, (i >> 4) & 15, i & 15].map((c) => (c * 17).toString(16).padStart(2, '0')).join('')}`);
    for (const color of colours) {
      const brand = brandOf({ ...defaultSettings, brand_color: color }, config);
      expect(contrastRatio(brand.textOnColor, color), `text on ${color}`).to.be.at.least(4.5);
      for (const bg of LIGHT_BACKGROUNDS) expect(contrastRatio(brand.linkColor, bg), `link for ${color} on ${bg}`).to.be.at.least(4.5);
    }
    expect(textOn('#ffd000')).to.equal('#000000');
    expect(textOn('#2f5fd0')).to.equal('#ffffff');
    // A colour that already reads is kept as it is.
    expect(readableOn('#2f5fd0')).to.equal('#2f5fd0');
    expect(readableOn('#ffd000')).not.to.equal('#ffd000');
  });

  it('names the logo after the sender, and falls back to the default colour for a bad stored one', () => {
    const brand = brandOf({ ...defaultSettings, brand_color: 'blue', logo_url: 'https://cdn.acme.example/logo.png' }, config);
    expect(brand).to.deep.equal({
      color: defaultSettings.brand_color,
      textOnColor: '#ffffff',
      linkColor: defaultSettings.brand_color,
      logoUrl: 'https://cdn.acme.example/logo.png',
      name: 'Acme care',
    });
    expect(brandOf({ ...defaultSettings, sender_name: 'Shop & Co' }, config).name).to.equal('Shop & Co');
  });

  it('writes only the checked colours into the stylesheet', () => {
    const css = brandCss(brandOf({ ...defaultSettings, brand_color: '#FFD000' }, config));
    expect(css).to.contain('--brand: #ffd000; --brand-text: #000000;');
    expect(css).to.match(/--brand-link: #[0-9a-f]{6};/);
    expect(css).not.to.contain('url(');
  });

  describe('served', () => {
    const ctx = withTestContextPerTest();

    it('GET /brand.css follows the settings, revalidated each time; brandLocals puts the brand in res.locals', async () => {
      const app = express();
      app.get('/brand.css', brandStylesheet(ctx.deps));
      app.get('/locals', brandLocals(ctx.deps), (_req, res) => res.json(res.locals.brand));
      const first = await supertest(app).get('/brand.css').expect(200);
      expect(first.headers['content-type']).to.equal('text/css; charset=utf-8');
      expect(first.headers['cache-control']).to.equal('no-cache');
      expect(first.text).to.contain(`--brand: ${defaultSettings.brand_color};`);
      expect((await supertest(app).get('/locals').expect(200)).body.logoUrl).to.equal('');

      await updateSettings(ctx.deps.db, { brand_color: '#aa3300', logo_url: 'https://cdn.acme.example/logo.svg' });
      const second = await supertest(app).get('/brand.css').set('If-None-Match', String(first.headers.etag)).expect(200);
      expect(second.text).to.contain('--brand: #aa3300; --brand-text: #ffffff;');
      const unchanged = await supertest(app).get('/brand.css').set('If-None-Match', String(second.headers.etag));
      expect(unchanged.status).to.equal(304);
      const locals = (await supertest(app).get('/locals').expect(200)).body;
      expect(locals).to.include({ color: '#aa3300', logoUrl: 'https://cdn.acme.example/logo.svg' });
    });
  });
});
