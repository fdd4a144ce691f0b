import crypto from 'node:crypto';
import { expect } from 'chai';
import { legacyHash } from '../helpers/passwords.ts';
import { hashPassword, needsRehash, scryptParams, verifyPassword } from '../../server/auth/passwords.ts';

describe('passwords', () => {
  it("hashes with scrypt at OWASP's parameters (N=2^17, r=8, p=1), kept in the hash, and a random salt", async () => {
    expect(scryptParams).to.deep.equal({ N: 131072, r: 8, p: 1 });
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).to.match(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.to.contain('correct horse battery');
    expect(a, 'two hashes of one password differ (salted)').not.to.equal(b);
    // The stored hash is what scrypt with those parameters gives.
    const [, , , , salt, hash] = a.split('$');
    const again = crypto.scryptSync('correct horse battery', Buffer.from(salt, 'base64url'), 32, { N: 131072, r: 8, p: 1, maxmem: 256 * 1024 * 1024 });
    expect(again.toString('base64url')).to.equal(hash);
  });

  it('verifies the right password and refuses others', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', stored)).to.equal(true);
    expect(await verifyPassword('correct horse batterY', stored)).to.equal(false);
    expect(await verifyPassword('', stored)).to.equal(false);
  });

  it('still verifies hashes made with the old parameters (N=2^14), and says they need hashing again', async () => {
    const old = legacyHash('correct horse battery');
    expect(await verifyPassword('correct horse battery', old)).to.equal(true);
    expect(await verifyPassword('correct horse battere', old)).to.equal(false);
    expect(needsRehash(old)).to.equal(true);
    expect(needsRehash(await hashPassword('correct horse battery'))).to.equal(false);
  });

  it('refuses when there is no usable hash (unknown user, malformed, other scheme, absurd parameters)', async () => {
    expect(await verifyPassword('anything', null)).to.equal(false);
    expect(await verifyPassword('anything', '')).to.equal(false);
    expect(await verifyPassword('anything', 'anything')).to.equal(false);
    expect(await verifyPassword('x', '$2b$10$abcdefghijklmnopqrstuv')).to.equal(false);
    // A row asking for 2^30 × 1024 would need terabytes: refused without trying.
    const salt = Buffer.alloc(16).toString('base64url');
    const hash = Buffer.alloc(32).toString('base64url');
    expect(await verifyPassword('x', `scrypt$1073741824$1024$1$${salt}$${hash}`)).to.equal(false);
    expect(await verifyPassword('x', `scrypt$1000$8$1$${salt}$${hash}`)).to.equal(false);
  });

  it('handles non-ASCII passwords', async () => {
    const stored = await hashPassword('Grüße, 日本語 🔑!');
    expect(await verifyPassword('Grüße, 日本語 🔑!', stored)).to.equal(true);
    expect(await verifyPassword('Grusse, 日本語 🔑!', stored)).to.equal(false);
  });
});
