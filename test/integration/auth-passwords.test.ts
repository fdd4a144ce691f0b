import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, TEST_PASSWORD, withTestContextPerTest } from '../helpers/context.ts';
import { legacyHash } from '../helpers/passwords.ts';
import { signInAs } from '../helpers/accounts.ts';
import { createUser } from '../../server/auth/service.ts';
import { findUserByEmail, insertUser } from '../../server/auth/queries.ts';
import { issuePasswordLink } from '../../server/auth/links.ts';
import { inviteUser } from '../../server/accounts/invite.ts';
import { passwordMessages } from '../../server/auth/password-policy.ts';
import { ValidationError } from '../../server/errors.ts';

/** Passwords every path must refuse, with the sentence it must show. */
const refused: [string, string][] = [
  ['Xq7#mP2$kL9', passwordMessages.short],
  ['password1234', passwordMessages.weak],
  ['qwertyuiop12', passwordMessages.weak],
];
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, '&#x27;');
const fieldError = (html: string, field: string) => new RegExp(`id="f-${field}-error"[^>]*>([^<]*)<`).exec(html)?.[1];

describe('passwords', () => {
  const ctx = withTestContextPerTest();

  it('a hash made with the old parameters (N=2^14) signs in and is replaced by one with N=2^17, r=8, p=1', async () => {
    const old = legacyHash('an old but long password');
    await insertUser(ctx.deps.db, { email: 'olga@example.com', name: 'Olga', role: 'viewer', locale: 'en', password_hash: old, created_at: ctx.clock.now().toISOString() });
    // A wrong password changes nothing.
    expect((await signInAs(ctx.app, 'olga@example.com', 'not her password')).status).to.equal(401);
    expect((await findUserByEmail(ctx.deps.db, 'olga@example.com'))!.password_hash).to.equal(old);

    expect((await signInAs(ctx.app, 'olga@example.com', 'an old but long password')).status).to.equal(303);
    const upgraded = (await findUserByEmail(ctx.deps.db, 'olga@example.com'))!.password_hash!;
    expect(upgraded).to.match(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect((await signInAs(ctx.app, 'olga@example.com', 'an old but long password')).status).to.equal(303);
    expect((await findUserByEmail(ctx.deps.db, 'olga@example.com'))!.password_hash, 'hashed once').to.equal(upgraded);
  });

  it('new passwords are hashed with scrypt N=2^17, r=8, p=1', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    await agent.post('/users').type('form').send({ _csrf: csrf, email: 'new@example.com', role: 'viewer', access: 'password', password: 'fresh lemon harbour' }).expect(303);
    expect((await findUserByEmail(ctx.deps.db, 'new@example.com'))!.password_hash).to.match(/^scrypt\$131072\$8\$1\$/);
  });

  it('an admin adding a user: short, common and email-like passwords are refused with a sentence beside the field', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    for (const [password, message] of [...refused, ['sam.jones-was-here-2026', passwordMessages.email('sam.jones')] as [string, string]]) {
      const res = await agent.post('/users').type('form').send({ _csrf: csrf, email: 'Sam.Jones@example.com', role: 'viewer', access: 'password', password }).expect(422);
      expect(fieldError(res.text, 'password'), password).to.match(new RegExp(`^${escape(message)}$`));
    }
    expect(await findUserByEmail(ctx.deps.db, 'sam.jones@example.com')).to.equal(undefined);
  });

  it('the command line (createUser) refuses them too', async () => {
    for (const [password, message] of refused) {
      let error: unknown;
      await createUser(ctx.deps.db, { email: 'cli@example.com', role: 'viewer', password }, ctx.clock.now()).catch((err) => (error = err));
      expect(error, password).to.be.instanceOf(ValidationError);
      expect((error as ValidationError).errors).to.deep.equal([{ field: 'password', message }]);
    }
    expect(await findUserByEmail(ctx.deps.db, 'cli@example.com')).to.equal(undefined);
  });

  it("one's own change refuses them, keeping the old password", async () => {
    const { agent, csrf, email } = await ctx.signIn('viewer');
    for (const [password, message] of refused) {
      const res = await agent.post('/account/password').type('form').send({ _csrf: csrf, current_password: TEST_PASSWORD, password, password_confirm: password }).expect(422);
      expect(fieldError(res.text, 'password'), password).to.match(new RegExp(`^${escape(message)}$`));
    }
    expect((await signInAs(ctx.app, email, TEST_PASSWORD)).status).to.equal(303);
  });

  it('reset and invitation links refuse them, and the link still works afterwards', async () => {
    const rita = await createUser(ctx.deps.db, { email: 'rita@example.com', role: 'editor', password: 'old password 12' }, ctx.clock.now());
    const reset = await issuePasswordLink(ctx.deps.db, rita.id, 'reset', ctx.clock.now());
    const { user: nia, link: invite } = await inviteUser(ctx.deps.db, { email: 'nia@example.com', role: 'viewer' }, ctx.clock.now());
    for (const token of [reset.token, invite.token]) {
      const browser = supertest.agent(ctx.app);
      const page = await browser.get(`/password/set/${token}`).expect(200);
      expect(page.text).to.contain('At least 12 characters, not a common or easily guessed password');
      const csrf = await csrfFrom(browser, `/password/set/${token}`);
      for (const [password, message] of refused) {
        const res = await browser.post(`/password/set/${token}`).type('form').send({ _csrf: csrf, password, password_confirm: password }).expect(422);
        expect(fieldError(res.text, 'password'), password).to.match(new RegExp(`^${escape(message)}$`));
      }
      const withName = await browser.post(`/password/set/${token}`).type('form').send({ _csrf: csrf, password: 'ritas-and-nias-garden', password_confirm: 'ritas-and-nias-garden' }).expect(422);
      expect(fieldError(withName.text, 'password')).to.match(/^The password must not contain the first part of the email address \((rita|nia)\)\.$/);
      await browser.post(`/password/set/${token}`).type('form').send({ _csrf: csrf, password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbour' }).expect(303);
    }
    expect((await signInAs(ctx.app, 'rita@example.com', 'fresh lemon harbour')).status).to.equal(303);
    expect((await signInAs(ctx.app, nia.email, 'fresh lemon harbour')).status).to.equal(303);
  });
});
