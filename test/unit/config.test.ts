import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../server/config.ts';

const secret = { SESSION_SECRET: 'x'.repeat(32) };

describe('configuration', () => {
  it('gives the documented defaults', () => {
    const config = loadConfig({ ...secret });
    expect(config.port).to.equal(3000);
    expect(config.baseUrl).to.equal('http://localhost:3000');
    expect(config.databaseUrl).to.equal('var/touchpoint.db');
    expect(config.smtpUrl).to.equal(null);
    expect(config.secureCookies).to.equal(false);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...secret, BASE_URL: '', SMTP_URL: '' }).smtpUrl).to.equal(null);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ ...secret, PORT: 'eighty' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ ...secret, BASE_URL: 'not a url' })).to.throw(ConfigError, /BASE_URL/);
    expect(() => loadConfig({ ...secret, SMTP_URL: 'http://mail' })).to.throw(ConfigError, /SMTP_URL/);
    expect(() => loadConfig({ SESSION_SECRET: 'short' })).to.throw(ConfigError, /SESSION_SECRET/);
  });

  it('turns on secure cookies for an https BASE_URL and drops its trailing slash', () => {
    const config = loadConfig({ ...secret, BASE_URL: 'https://feedback.example.com/' });
    expect(config.secureCookies).to.equal(true);
    expect(config.baseUrl).to.equal('https://feedback.example.com');
  });
});
