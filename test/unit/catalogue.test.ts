import { expect } from 'chai';
import { catalogs, locales } from '../../server/i18n/index.ts';
import { surveyPageMessages } from '../../server/i18n/survey-page.ts';
import { customerMailMessages } from '../../server/i18n/customer-mail.ts';
import { unsubscribePageMessages } from '../../server/i18n/unsubscribe-page.ts';
import { staffMailMessages } from '../../server/i18n/staff-mail.ts';

/** The {name} placeholders of a text, as t() fills them: sorted, each once. */
const placeholders = (text: string) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

const translated = locales.filter((locale) => locale !== 'en');

describe('the message catalogue', () => {
  for (const locale of translated) {
    it(`has a ${locale} text for every English key`, () => {
      const missing = Object.keys(catalogs.en).filter((key) => !(catalogs[locale][key] ?? '').trim());
      expect(missing, `keys without a ${locale} text`).to.deep.equal([]);
    });

    it(`has no ${locale} key that English lacks`, () => {
      const extra = Object.keys(catalogs[locale]).filter((key) => !(key in catalogs.en));
      expect(extra, `${locale} keys unknown in English`).to.deep.equal([]);
    });

    it(`gives each ${locale} text the placeholders of its English text`, () => {
      const differing = Object.entries(catalogs.en)
        .filter(([key, text]) => key in catalogs[locale] && placeholders(text).join() !== placeholders(catalogs[locale][key]).join())
        .map(([key, text]) => `${key}: en {${placeholders(text).join('}, {')}} vs ${locale} {${placeholders(catalogs[locale][key]).join('}, {')}}`);
      expect(differing, 'keys whose placeholders differ').to.deep.equal([]);
    });
  }

  it('defines each key in one file only (a key in two would silently replace the other)', () => {
    const parts = { surveyPageMessages, customerMailMessages, unsubscribePageMessages, staffMailMessages };
    for (const locale of locales) {
      const seen = new Map<string, string>();
      const twice: string[] = [];
      for (const [name, part] of Object.entries(parts)) {
        for (const key of Object.keys(part[locale])) {
          if (seen.has(key)) twice.push(`${key} (${seen.get(key)}, ${name})`);
          seen.set(key, name);
        }
      }
      expect(twice, `${locale} keys defined twice`).to.deep.equal([]);
      expect([...seen.keys()].sort(), `the ${locale} catalogue is these files' keys`).to.deep.equal(Object.keys(catalogs[locale]).sort());
    }
  });

  it('names every key in a namespace', () => {
    const bare = Object.keys(catalogs.en).filter((key) => !/^[a-z]+\.[a-z_.]+$/.test(key));
    expect(bare).to.deep.equal([]);
  });
});
