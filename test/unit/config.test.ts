import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, isLoopbackHost, loadConfig } from '../../server/config.ts';

// Both secrets given, so that loading writes nothing into var/.
const secret = { SESSION_SECRET: 'x'.repeat(32), LINK_SECRET: 'l'.repeat(32) };

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

  describe('HOST: where serve listens', () => {
    it('is 127.0.0.1 by default and while BASE_URL names this machine', () => {
      expect(loadConfig({ ...secret }).host).to.equal('127.0.0.1');
      for (const base of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'http://app.localhost']) {
        expect(loadConfig({ ...secret, BASE_URL: base }).host, base).to.equal('127.0.0.1');
      }
    });

    it('is 0.0.0.0 when BASE_URL names another host, and HOST wins over both', () => {
      expect(loadConfig({ ...secret, BASE_URL: 'https://feedback.example.com' }).host).to.equal('0.0.0.0');
      expect(loadConfig({ ...secret, BASE_URL: 'http://192.168.1.20:3000' }).host).to.equal('0.0.0.0');
      expect(loadConfig({ ...secret, BASE_URL: 'https://feedback.example.com', HOST: '127.0.0.1' }).host).to.equal('127.0.0.1');
      expect(loadConfig({ ...secret, HOST: '0.0.0.0' }).host).to.equal('0.0.0.0');
      expect(loadConfig({ ...secret, HOST: '::' }).host).to.equal('::');
      expect(loadConfig({ ...secret, HOST: '[::1]' }).host).to.equal('::1');
      expect(loadConfig({ ...secret, HOST: '' }).host).to.equal('127.0.0.1');
    });

    it('refuses what is not an address, naming HOST', () => {
      expect(() => loadConfig({ ...secret, HOST: 'http://0.0.0.0' })).to.throw(ConfigError, /HOST/);
      expect(() => loadConfig({ ...secret, HOST: 'two words' })).to.throw(ConfigError, /HOST/);
    });

    it('tells loopback names from others', () => {
      for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'LOCALHOST']) expect(isLoopbackHost(h), h).to.equal(true);
      for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '127.example.com', 'localhost.example.com']) expect(isLoopbackHost(h), h).to.equal(false);
    });
  });

  describe('SETUP_CODE_REQUIRED', () => {
    it('asks for the setup code unless both HOST and BASE_URL are loopback', () => {
      expect(loadConfig({ ...secret }).setupCodeRequired).to.equal(false);
      expect(loadConfig({ ...secret, BASE_URL: 'https://feedback.example.com' }).setupCodeRequired).to.equal(true);
      // Behind a proxy on this machine: listening on loopback, reached from anywhere.
      expect(loadConfig({ ...secret, BASE_URL: 'https://feedback.example.com', HOST: '127.0.0.1' }).setupCodeRequired).to.equal(true);
      expect(loadConfig({ ...secret, HOST: '0.0.0.0' }).setupCodeRequired).to.equal(true);
    });

    it('forces either way, and names a bad value', () => {
      expect(loadConfig({ ...secret, SETUP_CODE_REQUIRED: 'true' }).setupCodeRequired).to.equal(true);
      expect(loadConfig({ ...secret, HOST: '0.0.0.0', SETUP_CODE_REQUIRED: 'false' }).setupCodeRequired).to.equal(false);
      expect(() => loadConfig({ ...secret, SETUP_CODE_REQUIRED: 'yes' })).to.throw(ConfigError, /SETUP_CODE_REQUIRED: must be true or false/);
    });
  });

  describe('LINK_SECRET', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-config-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('is taken from the environment (32 characters at least)', () => {
      const config = loadConfig({ ...secret });
      expect(config.linkSecret).to.equal(secret.LINK_SECRET);
      expect(config.linkSecretSource).to.equal('env');
      expect(() => loadConfig({ SESSION_SECRET: secret.SESSION_SECRET, LINK_SECRET: 'short' })).to.throw(ConfigError, /LINK_SECRET: must be at least 32 characters/);
    });

    it('unset, is generated once and kept in var/link-secret beside the database, apart from the session secret', () => {
      const env = { SESSION_SECRET: secret.SESSION_SECRET, DATABASE_URL: path.join(dir, 'touchpoint.db') };
      const first = loadConfig(env);
      expect(first.linkSecretSource).to.equal('kept');
      expect(first.linkSecret).to.have.length.greaterThan(40);
      expect(first.linkSecret).not.to.equal(first.sessionSecret);
      const file = path.join(dir, 'link-secret');
      expect(fs.readFileSync(file, 'utf8').trim()).to.equal(first.linkSecret);
      if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o077).to.equal(0);
      // A restart, or another SESSION_SECRET, keeps it.
      expect(loadConfig({ ...env, SESSION_SECRET: 'y'.repeat(32) }).linkSecret).to.equal(first.linkSecret);
      expect(fs.readdirSync(dir).sort()).to.deep.equal(['link-secret']);
    });
  });
});