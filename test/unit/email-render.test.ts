import { expect } from 'chai';
import { textOn } from '../../server/settings/contrast.ts';
import { messageIdFor, renderInvitation, type InvitationEmailInput } from '../../server/sending/render.ts';
import { templates } from '../../server/surveys/templates.ts';
import { defaultSettings } from '../../server/settings/service.ts';
import type { Metric } from '../../server/surveys/model.ts';
import { fromAddress, senderName } from '../../server/mail/sender.ts';

const base = 'https://feedback.example.com';
const token = 'tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef';

const input = (metric: Metric, overrides: Partial<InvitationEmailInput> = {}): InvitationEmailInput => ({
  invitationId: 42,
  token,
  locale: 'en',
  customer: { email: 'ann@example.com', name: 'Ann' },
  survey: { metric, content: templates[metric], default_locale: 'en', touchpoint_name: 'Delivery' },
  settings: defaultSettings,
  config: { baseUrl: base, mailFrom: 'Acme Feedback <feedback@acme.example>' },
  ...overrides,
});

const hrefs = (html: string) => [...html.matchAll(/<a\b[^>]*\bhref="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));

describe('invitation email rendering', () => {
  for (const [metric, min, max] of [['nps', 0, 10], ['csat', 1, 5], ['ces', 1, 7]] as const) {
    it(`links every ${metric} score from ${min} to ${max}, after the trap link, in both parts`, async () => {
      const mail = await renderInvitation(input(metric));
      const links = hrefs(mail.html);
      expect(links[0]).to.equal(`${base}/r/${token}/t`);
      const scoreLinks = links.filter((l) => l.includes('?score='));
      expect(scoreLinks).to.deep.equal(Array.from({ length: max - min + 1 }, (_, i) => `${base}/r/${token}?score=${min + i}`));
      for (const link of scoreLinks) expect(mail.text).to.contain(link);
      expect(mail.text).not.to.contain('/t\n');
    });
  }

  it('hides the trap link from people and screen readers', async () => {
    const mail = await renderInvitation(input('nps'));
    const trap = /<a\b[^>]*href="[^"]*\/t"[^>]*>(.*?)<\/a>/s.exec(mail.html)!;
    expect(trap[0]).to.contain('aria-hidden="true"');
    expect(trap[0]).to.contain('tabindex="-1"');
    expect(trap[0]).to.match(/display:none/);
    expect(trap[1]).to.equal('');
  });

  it('writes subject, question, labels and footer in German for a German invitation', async () => {
    const mail = await renderInvitation(input('nps', { locale: 'de' }));
    expect(mail.subject).to.equal('Eine kurze Frage von Acme Feedback');
    expect(mail.html).to.contain('lang="de"');
    expect(mail.html).to.contain(templates.nps.de.question);
    expect(mail.html).to.contain('Sehr unwahrscheinlich');
    expect(mail.text).to.contain('Hallo Ann,');
    expect(mail.text).to.contain(`Keine Umfrage-E-Mails mehr erhalten: ${base}/u/${token}`);
  });

  it('falls back to the survey’s default locale when the invitation’s locale has no wording', async () => {
    const mail = await renderInvitation(input('csat', { locale: 'fr' }));
    expect(mail.subject).to.equal('A quick question from Acme Feedback');
    expect(mail.html).to.contain(templates.csat.en.question);
  });

  it('sets the stable Message-ID and the one-click unsubscribe headers', async () => {
    const mail = await renderInvitation(input('nps'));
    expect(mail.messageId).to.equal('<invitation-42@feedback.example.com>');
    expect(mail.headers['List-Unsubscribe']).to.equal(`<${base}/u/${token}>`);
    expect(mail.headers['List-Unsubscribe-Post']).to.equal('List-Unsubscribe=One-Click');
    expect(mail.from).to.equal('Acme Feedback <feedback@acme.example>');
    expect(mail.replyTo).to.equal(undefined);
  });

  it('writes the reminder with the same links, a "Reminder:" subject in en and de and a Message-ID of its own', async () => {
    const invitation = await renderInvitation(input('nps'));
    const reminder = await renderInvitation(input('nps', { reminder: true }));
    expect(reminder.subject).to.equal(`Reminder: ${invitation.subject}`);
    expect(reminder.messageId).to.equal('<invitation-42-reminder@feedback.example.com>');
    expect(reminder.headers.References).to.equal('<invitation-42@feedback.example.com>');
    expect(invitation.headers).not.to.have.property('References');
    expect(hrefs(reminder.html)).to.deep.equal(hrefs(invitation.html));
    expect(reminder.text).to.contain('A few days ago we asked you one question');
    expect(invitation.text).not.to.contain('A few days ago');
    expect(reminder.headers['List-Unsubscribe']).to.equal(invitation.headers['List-Unsubscribe']);
    const german = await renderInvitation(input('nps', { reminder: true, locale: 'de', survey: { metric: 'nps', content: { en: templates.nps.en, de: templates.nps.de ?? templates.nps.en }, default_locale: 'en', touchpoint_name: 'Lieferung' } }));
    expect(german.subject).to.match(/^Erinnerung: Eine kurze Frage von /);
    expect(german.text).to.contain('Vor einigen Tagen haben wir Ihnen eine Frage gestellt');
  });

  it('escapes what people typed (names, questions) in the HTML part', async () => {
    const content = { en: { ...templates.nps.en, question: 'Was it <b>good</b> & fast?' } };
    const mail = await renderInvitation(
      input('nps', { customer: { email: 'x@example.com', name: '<script>alert(1)</script>' }, survey: { metric: 'nps', content, default_locale: 'en', touchpoint_name: 'D' } }),
    );
    expect(mail.html).not.to.contain('<script>');
    expect(mail.html).not.to.contain('<b>good</b>');
    expect(mail.html).to.contain('&lt;b&gt;good&lt;/b&gt; &amp; fast?');
    // The text part is plain text: nothing is entity-encoded there.
    expect(mail.text).to.contain('Was it <b>good</b> & fast?');
  });

  it('uses table layout with inline styles, dark-mode rules and no scripts', async () => {
    const mail = await renderInvitation(input('nps'));
    expect(mail.html).to.contain('role="presentation"');
    expect(mail.html).to.contain('prefers-color-scheme: dark');
    expect(mail.html).to.contain('name="color-scheme"');
    expect(mail.html).not.to.match(/<script/i);
    expect(mail.html).to.contain(`bgcolor="${defaultSettings.brand_color}"`);
  });
});

describe('email sender and colours', () => {
  it('Message-ID is stable and names the host of BASE_URL', () => {
    expect(messageIdFor(7, 'https://x.example.org:8443/app')).to.equal('<invitation-7@x.example.org>');
    expect(messageIdFor(7, 'https://x.example.org:8443/app')).to.equal(messageIdFor(7, 'https://x.example.org:8443/app'));
  });

  it('From is the settings’ sender, else MAIL_FROM', () => {
    const config = { mailFrom: 'Touchpoint <feedback@localhost>', baseUrl: base };
    expect(fromAddress({ sender_name: '', sender_address: '' }, config)).to.equal('Touchpoint <feedback@localhost>');
    expect(fromAddress({ sender_name: 'Acme "Care"', sender_address: 'care@acme.example' }, config)).to.equal('"Acme Care" <care@acme.example>');
    expect(fromAddress({ sender_name: '', sender_address: 'care@acme.example' }, config)).to.equal('care@acme.example');
    expect(senderName({ sender_name: '' }, config)).to.equal('Touchpoint');
    expect(senderName({ sender_name: '' }, { mailFrom: 'feedback@localhost', baseUrl: base })).to.equal('feedback.example.com');
    expect(senderName({ sender_name: ' Acme ' }, config)).to.equal('Acme');
  });

  it('picks readable text on the brand colour', () => {
    expect(textOn('#2f5fd0')).to.equal('#ffffff');
    expect(textOn('#000000')).to.equal('#ffffff');
    expect(textOn('#ffe066')).to.equal('#000000');
    expect(textOn('#ffffff')).to.equal('#000000');
  });

  it('renders a survey once and writes each customer in: no link or name of one customer reaches another', async () => {
    // The same survey and settings objects, as the worker passes the process's shared ones.
    const survey = { metric: 'nps' as const, content: templates.nps, default_locale: 'en' as const, touchpoint_name: 'Delivery' };
    const settings = { ...defaultSettings };
    const otherToken = 'tok_zyxwvutsrqponmlkjihgfedcba9876543210ZYXWVU';
    const first = await renderInvitation(input('nps', { survey, settings, customer: { email: 'ann@example.com', name: 'Ann <b>&</b>' } }));
    const second = await renderInvitation(input('nps', { survey, settings, token: otherToken, invitationId: 43, customer: { email: 'bo@example.com', name: 'Bo' } }));
    const anonymous = await renderInvitation(input('nps', { survey, settings, token: otherToken, invitationId: 44, customer: { email: 'cy@example.com', name: null } }));
    expect(first.html).to.contain('Ann &lt;b&gt;&amp;&lt;/b&gt;');
    expect(first.html).not.to.contain('<b>&</b>');
    expect(first.html).not.to.contain(otherToken);
    expect(first.text).to.contain('Ann <b>&</b>');
    expect(second.html).to.contain(`${base}/r/${otherToken}?score=10`);
    expect(second.html).to.contain('Bo');
    for (const part of [second.html, second.text]) {
      expect(part).not.to.contain('Ann');
      expect(part).not.to.contain(token);
    }
    expect(second.headers['List-Unsubscribe']).to.equal(`<${base}/u/${otherToken}>`);
    expect(anonymous.html).not.to.match(/Bo\b|Ann/);
    for (const mail of [first, second, anonymous]) expect(mail.html + mail.text).not.to.match(/Mark7Qz3xV/);
    // A changed survey (a new object, as the cache hands out after an edit) is rendered anew.
    const edited = await renderInvitation(input('nps', { survey: { ...survey, content: { en: { ...templates.nps.en, question: 'Would you tell a friend?' } } }, settings }));
    expect(edited.html).to.contain('Would you tell a friend?');
  });
});
