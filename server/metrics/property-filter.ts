import { z } from 'zod';

/** A property name as segments and filters accept it. */
export const PROPERTY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const propertyNameSchema = z.string().regex(PROPERTY_NAME, 'must be a property name of letters, digits, _ . or -');

/** Responses whose property `name` has one of `values` (written as the segment rollup writes them). */
export interface PropertyFilter {
  name: string;
  values: string[];
}

const MAX_FILTERS = 20;
const MAX_VALUE = 200;

/**
 * `where=name:value`, repeatable (in the URL of the pages and of GET /api/v1/metrics). Values of one
 * property are alternatives (region:north and region:south: either); different properties must all
 * match. Empty entries are ignored, so a form's "no filter" option adds nothing.
 */
export const whereSchema = z
  .preprocess(
    // Empty entries (a form's "no filter" choice) are dropped before the entries are counted.
    (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((entry) => typeof entry !== 'string' || entry.trim() !== ''),
    z
      .array(z.string('must be name:value'), 'must be name:value')
      .max(MAX_FILTERS, `must be at most ${MAX_FILTERS} filters`)
      .transform((entries, ctx) => {
        const byName = new Map<string, Set<string>>();
        for (const raw of entries) {
          const entry = raw.trim();
          const colon = entry.indexOf(':');
          const name = colon < 0 ? entry : entry.slice(0, colon);
          const value = colon < 0 ? '' : entry.slice(colon + 1);
          if (!PROPERTY_NAME.test(name)) {
            ctx.addIssue({ code: 'custom', message: `"${entry.slice(0, 80)}" must start with a property name of letters, digits, _ . or -, then a colon` });
            return z.NEVER;
          }
          if (value === '' || value.length > MAX_VALUE) {
            ctx.addIssue({ code: 'custom', message: `"${entry.slice(0, 80)}" must give a value of 1 to ${MAX_VALUE} characters after the colon` });
            return z.NEVER;
          }
          (byName.get(name) ?? byName.set(name, new Set()).get(name)!).add(value);
        }
        return [...byName]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, values]): PropertyFilter => ({ name, values: [...values].sort() }));
      }),
  );

/** The filters as `where` entries, for URLs. */
export const whereEntries = (filters: PropertyFilter[]): string[] => filters.flatMap((f) => f.values.map((v) => `${f.name}:${v}`));

