import { expect } from 'chai';
import { checkPasswordStrength, generatePassword, passwordMessages, passwordSchema } from '../../server/auth/password-policy.ts';

describe('password rules', () => {
  it('refuses fewer than 12 characters, counting characters rather than bytes', () => {
    expect(checkPasswordStrength('Xq7#mP2$kL9')).to.equal(passwordMessages.short);
    expect(checkPasswordStrength('')).to.equal(passwordMessages.short);
    expect(checkPasswordStrength('🔑🔑🔑🔑🔑🔑')).to.equal(passwordMessages.short);
    expect(checkPasswordStrength('x'.repeat(201))).to.equal(passwordMessages.long);
    expect(checkPasswordStrength(42)).to.equal(passwordMessages.type);
  });

  it('refuses common, breached and easily guessed passwords with a full sentence', () => {
    for (const weak of ['password1234', 'qwertyuiop12', 'Passwort1234', 'abcdefghijkl', 'aaaaaaaaaaaa', '123456789012', 'iloveyou1234']) {
      expect(checkPasswordStrength(weak), weak).to.equal(passwordMessages.weak);
    }
    expect(passwordMessages.weak).to.match(/^The password is too easy to guess: .+\.$/);
  });

  it('refuses a password that contains the email address before the @, in any case', () => {
    expect(checkPasswordStrength('anna.schmidt-Garden-2026', { email: 'Anna.Schmidt@example.com' })).to.equal(passwordMessages.email('anna.schmidt'));
    expect(checkPasswordStrength('MyRITAwordsAreLong9', { email: 'rita@example.com' })).to.equal(passwordMessages.email('rita'));
    // Without knowing whose it is, the same password is fine.
    expect(checkPasswordStrength('MyRITAwordsAreLong9')).to.equal(null);
  });

  it('accepts long, unguessable passwords', () => {
    for (const strong of ['correct horse battery', 'Plum-Kettle-Orbit-42', 'Sturmflut-Lampe-91', 'fresh lemon harbour']) {
      expect(checkPasswordStrength(strong, { email: 'someone@example.com' }), strong).to.equal(null);
    }
  });

  it('the zod schema gives the same messages', () => {
    const result = passwordSchema.safeParse('password1234');
    expect(result.success).to.equal(false);
    expect(result.error?.issues[0].message).to.equal(passwordMessages.weak);
    expect(passwordSchema.safeParse('correct horse battery').success).to.equal(true);
  });

  it('generates passwords that pass, for any owner', () => {
    for (let i = 0; i < 20; i++) {
      const password = generatePassword({ email: 'a@example.com' });
      expect(password).to.have.length(20);
      expect(checkPasswordStrength(password, { email: 'a@example.com' })).to.equal(null);
    }
  });
});
