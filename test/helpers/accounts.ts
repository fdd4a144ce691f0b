import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, type TestContext } from './context.ts';
import type { ReceivedMail } from './smtp.ts';

const linkPattern = /http:\/\/127\.0\.0\.1:3000\/password\/set\/([A-Za-z0-9_-]{43})/;

/** The token of the set-password link in a received email (the same in its text and HTML parts). */
export function linkTokenOf(mail: ReceivedMail): string {
  const text = linkPattern.exec(mail.parsed.text ?? '');
  const html = linkPattern.exec(mail.parsed.html ?? '');
  expect(text, 'a link in the text part').to.not.equal(null);
  expect(html?.[1], 'the same link in the HTML part').to.equal(text![1]);
  return text![1];
}

/** Posts the sign-in form as a fresh browser would; the answer tells whether it worked. */
export const signInAs = async (app: TestContext['app'], email: string, password: string) => {
  const agent = supertest.agent(app);
  const csrf = await csrfFrom(agent, '/login');
  return agent.post('/login').type('form').send({ email, password, _csrf: csrf });
};
