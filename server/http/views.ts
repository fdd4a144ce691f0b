import path from 'node:path';
import { plural } from '../i18n/index.ts';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { create } from 'express-handlebars';
import { pickLocale, t, translateKnown } from '../i18n/index.ts';

export const viewsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

type HelperOptions = { data: { root: Record<string, unknown> }; hash: Record<string, string | number> };

/** Handlebars helpers every view may use. Keep them few and general. */
const helpers = {
  eq: (a: unknown, b: unknown) => a === b,
  /** {{plural n "response"}}: "1 response", "2 responses" (named so that no model field it could shadow is called plural). */
  plural: (n: unknown, word: unknown) => plural(Number(n), String(word)),
  /** {{t "key" name=value}}: a message in the page's `locale`. */
  t(key: string, options: HelperOptions) {
    return t(pickLocale(options.data.root.locale as string | undefined), key, options.hash);
  },
  /** {{tm error}}: a message from the shared schemas and services (English) in the page's `locale` when the catalogue knows it. */
  tm(text: unknown, options: HelperOptions) {
    return translateKnown(pickLocale(options.data.root.locale as string | undefined), text === undefined || text === null ? '' : String(text));
  },
  /** JSON for a <script type="application/json"> data block; `<` is escaped so it cannot close the tag. */
  json: (value: unknown) => JSON.stringify(value ?? null).replace(/</g, '\\u003c'),
};

/** The Handlebars engine, shared by pages and emails. */
export const handlebars = create({
  extname: '.hbs',
  defaultLayout: 'main',
  layoutsDir: path.join(viewsDir, 'layouts'),
  partialsDir: path.join(viewsDir, 'partials'),
  helpers,
});

export function useViews(app: Express): void {
  app.engine('hbs', handlebars.engine);
  app.set('view engine', 'hbs');
  app.set('views', viewsDir);
}
