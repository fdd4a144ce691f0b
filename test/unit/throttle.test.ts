import { expect } from 'chai';
import { normaliseAccount, normaliseAddress, throttleRules, waitText } from '../../server/auth/throttle.ts';

describe('throttle helpers', () => {
  it('counts an email as one account whatever its case and spaces', () => {
    expect(normaliseAccount('  Admin@Example.COM ')).to.equal('admin@example.com');
  });

  it('counts IPv4 as it is (also written as IPv6) and IPv6 by its /64', () => {
    expect(normaliseAddress('203.0.113.9')).to.equal('203.0.113.9');
    expect(normaliseAddress('::ffff:203.0.113.9')).to.equal('203.0.113.9');
    expect(normaliseAddress('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64');
    expect(normaliseAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee')).to.equal('2001:db8:1:2::/64');
    expect(normaliseAddress('2001:DB8:1:2::')).to.equal('2001:db8:1:2::/64');
    expect(normaliseAddress('::1')).to.equal('0:0:0:0::/64');
    expect(normaliseAddress('2001:db8::5%eth0')).to.equal('2001:db8:0:0::/64');
  });

  it('says how long to wait in words, rounded up', () => {
    expect(waitText(1)).to.equal('1 second');
    expect(waitText(45)).to.equal('45 seconds');
    expect(waitText(60)).to.equal('1 minute');
    expect(waitText(61)).to.equal('2 minutes');
    expect(waitText(300)).to.equal('5 minutes');
    expect(waitText(3600)).to.equal('1 hour');
    expect(waitText(3601)).to.equal('61 minutes');
    expect(waitText(7200)).to.equal('2 hours');
  });

  it('has the documented numbers', () => {
    expect(throttleRules.sign_in.map((r) => [r.scope, r.every, r.windowMs / 60_000, r.holdsMs.map((h) => h / 60_000)])).to.deep.equal([
      ['account_address', 5, 24 * 60, [1, 5, 15, 60]],
      ['address', 20, 60, [60]],
      ['account', 100, 60, [60]],
    ]);
    expect(throttleRules.password_reset.map((r) => [r.scope, r.every, r.windowMs / 60_000])).to.deep.equal([
      ['account', 3, 60],
      ['address', 10, 60],
    ]);
  });
});
