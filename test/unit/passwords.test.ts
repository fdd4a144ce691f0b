import { expect } from 'chai';
import { hashPassword, verifyPassword } from '../../server/auth/passwords.ts';

describe('passwords', () => {
  it('hashes with scrypt and a random salt: the hash is not the password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).to.match(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.to.contain('correct horse battery');
    expect(a, 'two hashes of one password differ (salted)').not.to.equal(b);
  });

  it('verifies the right password and refuses others', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', stored)).to.equal(true);
    expect(await verifyPassword('correct horse batterY', stored)).to.equal(false);
    expect(await verifyPassword('', stored)).to.equal(false);
  });

  it('refuses when there is no usable hash (unknown user, malformed, other scheme)', async () => {
    expect(await verifyPassword('anything', null)).to.equal(false);
    expect(await verifyPassword('anything', '')).to.equal(false);
    expect(await verifyPassword('anything', 'anything')).to.equal(false);
    expect(await verifyPassword('x', '$2b$10$abcdefghijklmnopqrstuv')).to.equal(false);
  });

  it('handles non-ASCII passwords', async () => {
    const stored = await hashPassword('Grüße, 日本語 🔑!');
    expect(await verifyPassword('Grüße, 日本語 🔑!', stored)).to.equal(true);
    expect(await verifyPassword('Grusse, 日本語 🔑!', stored)).to.equal(false);
  });
});
