import type { RequestHandler } from 'express';
import type { Deps } from '../deps.ts';
import type { Config } from '../config.ts';
import { defaultSettings, getSettings, type Settings } from '../settings/service.ts';
import { readableOn, textOn } from '../settings/contrast.ts';
import { senderName } from '../mail/sender.ts';

/**
 * The business's brand on what customers see (survey email, survey and
 * unsubscribe pages): the logo and the brand colour, with text colours that
 * stay readable whatever colour the admin picked (WCAG 2 contrast).
 */
export interface Brand {
  /** The brand colour, #rrggbb: fills (buttons, the chosen score). */
  color: string;
  /** Text on a brand-coloured fill: white or black, whichever reads better (always at least 4.5:1). */
  textOnColor: string;
  /** Links and outlined buttons on light backgrounds: the brand colour, darkened until it reads (at least 4.5:1 on each). */
  linkColor: string;
  /** An https image address, or '' for no logo. */
  logoUrl: string;
  /** The logo's alternative text: the name customers know the sender by. */
  name: string;
}

const HEX = /^#[0-9a-fA-F]{6}$/;

/** The brand as settings give it (a stored colour that is not #rrggbb falls back to the default). */
export function brandOf(settings: Pick<Settings, 'brand_color' | 'logo_url' | 'sender_name'>, config: Pick<Config, 'mailFrom' | 'baseUrl'>): Brand {
  const color = HEX.test(settings.brand_color) ? settings.brand_color.toLowerCase() : defaultSettings.brand_color;
  return {
    color,
    textOnColor: textOn(color),
    linkColor: readableOn(color),
    logoUrl: settings.logo_url ?? '',
    name: senderName(settings, config),
  };
}

/** The stylesheet that puts the brand on the customer's pages (the public layout, `body.public`). */
export function brandCss(brand: Brand): string {
  return `/* The brand, from the settings: served at /brand.css for the customer's pages. */
body.public { --brand: ${brand.color}; --brand-text: ${brand.textOnColor}; --brand-link: ${brand.linkColor}; }
body.public a, body.public button.link { color: var(--brand-link); }
body.public button:not(.secondary):not(.link), body.public .button:not(.secondary) { background: var(--brand); border-color: var(--brand); color: var(--brand-text); }
body.public button.secondary, body.public .button.secondary { border-color: var(--brand-link); color: var(--brand-link); }
body.public .scale-option input:checked + label { background: var(--brand); border-color: var(--brand); color: var(--brand-text); }
.public-brand { max-width: 640px; margin: 0 auto; padding: 16px 16px 0; }
.public-logo { display: block; max-width: min(200px, 100%); max-height: 60px; width: auto; height: auto; }
`;
}

/** GET /brand.css: the brand stylesheet; revalidated on every use (ETag), so a changed colour shows at once. */
export function brandStylesheet(deps: Deps): RequestHandler {
  return async (_req, res, next) => {
    try {
      const css = brandCss(brandOf(await getSettings(deps.db), deps.config));
      res.set('Cache-Control', 'no-cache');
      res.type('text/css; charset=utf-8').send(css);
    } catch (err) {
      next(err);
    }
  };
}

/** Puts `brand` (logo, name, colours) in res.locals, for the public layout and the customer's pages. */
export function brandLocals(deps: Deps): RequestHandler {
  return async (_req, res, next) => {
    try {
      res.locals.brand = brandOf(await getSettings(deps.db), deps.config);
      next();
    } catch (err) {
      next(err);
    }
  };
}
