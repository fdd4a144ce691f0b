import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import { catalogs, catalogueParts, locales, t, translateKnown } from '../../server/i18n/index.ts';

type AstElement = { type: number; value?: unknown; options?: Record<string, { value: AstElement[] }>; children?: AstElement[] };

/** The values an ICU text takes ({name}, {count, plural, …}, also inside plural and select branches). */
function argumentsOf(elements: AstElement[], into = new Set<string>()): Set<string> {
  for (const el of elements) {
    // 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural (FormatJS's parser).
    if (el.type >= 1 && el.type <= 6 && typeof el.value === 'string') into.add(el.value);
    for (const option of Object.values(el.options ?? {})) argumentsOf(option.value, into);
    if (el.children) argumentsOf(el.children, into);
  }
  return into;
}

/** The values a text takes, sorted, each once (none for a text FormatJS cannot read: another test names it). */
function placeholders(text: string): string[] {
  try {
    return [...argumentsOf(new IntlMessageFormat(text, 'en').getAst() as AstElement[])].sort();
  } catch {
    return [];
  }
}

/** Every file under `dir` whose name ends with `ext`. */
function filesUnder(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full, ext) : entry.name.endsWith(ext) ? [full] : [];
  });
}

/** The catalogue keys the views ({{t "key"}}) and the server's code (t(locale, 'key'), tr('key')) name, with where. */
function keysUsed(): { key: string; where: string }[] {
  const used: { key: string; where: string }[] = [];
  for (const file of filesUnder('views', '.hbs')) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/\(?\bt\s+"([a-z]+\.[a-z_.]+)"/g)) used.push({ key: m[1], where: file });
  }
  for (const file of filesUnder('server', '.ts')) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/\b(?:t\(\s*[\w.]+\s*,\s*|tr\(\s*)'([a-z]+\.[a-z_.]+)'/g)) used.push({ key: m[1], where: file });
  }
  return used;
}

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
    const parts = catalogueParts;
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

  it('has every key a view or the code names, in every locale (no English shown for want of a key)', () => {
    const used = keysUsed();
    expect(used.length, 'keys found in views and code').to.be.greaterThan(50);
    for (const locale of locales) {
      const missing = used.filter(({ key }) => !(key in catalogs[locale])).map(({ key, where }) => `${key} (${where})`);
      expect([...new Set(missing)], `keys missing in ${locale}`).to.deep.equal([]);
    }
  });

  it('holds ICU messages that FormatJS reads in their locale, with plurals by the locale’s rules', () => {
    const unreadable: string[] = [];
    for (const locale of locales) {
      for (const [key, text] of Object.entries(catalogs[locale])) {
        try {
          new IntlMessageFormat(text, locale);
        } catch (err) {
          unreadable.push(`${locale} ${key}: ${(err as Error).message}`);
        }
      }
    }
    expect(unreadable).to.deep.equal([]);
    expect([1, 2, 1234].map((count) => t('en', 'common.responses', { count }))).to.deep.equal(['1 response', '2 responses', '1,234 responses']);
    expect([1, 2, 1234].map((count) => t('de', 'common.responses', { count }))).to.deep.equal(['1 Antwort', '2 Antworten', '1.234 Antworten']);
  });

  it('reads the shared schemas’ English field messages back into German (validation.*), values and all, and leaves English and unknown texts alone', () => {
    const sample: Record<string, string> = { n: '12', min: '1', max: '30', part: 'ann' };
    for (const [key, english] of Object.entries(catalogs.en).filter(([k]) => k.startsWith('validation.'))) {
      const values = Object.fromEntries(placeholders(english).map((name) => [name, sample[name] ?? 'x']));
      const said = t('en', key, values);
      expect(translateKnown('de', said), key).to.equal(t('de', key, values));
      expect(translateKnown('en', said), key).to.equal(said);
    }
    expect(translateKnown('de', 'must be at most 200 characters')).to.equal('darf höchstens 200 Zeichen lang sein');
    expect(translateKnown('de', 'a message nobody wrote')).to.equal('a message nobody wrote');
  });

  it('names every key in a namespace', () => {
    const bare = Object.keys(catalogs.en).filter((key) => !/^[a-z]+\.[a-z_.]+$/.test(key));
    expect(bare).to.deep.equal([]);
  });
});
