import { PROPERTY_NAME, whereEntries, type PropertyFilter } from '../metrics/property-filter.ts';
import { segmentValue } from '../rollups/segments.ts';

/** At most this many values per property offered in the filter picker (the URL takes any value). */
const VALUES_OFFERED = 30;

export interface PropertyOption {
  name: string;
  values: string[];
}

/** Property names and their values in a sample of responses' properties (JSON text), for the segment and filter pickers. */
export function propertyOptions(rows: string[]): PropertyOption[] {
  const seen = new Map<string, Map<string, number>>();
  for (const text of rows) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text || '{}');
    } catch {
      continue; // A response with broken properties has no segments.
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) continue;
    for (const [name, raw] of Object.entries(parsed)) {
      if (!PROPERTY_NAME.test(name)) continue;
      const values = seen.get(name) ?? seen.set(name, new Map()).get(name)!;
      const value = segmentValue(raw);
      if (value !== null && value.length <= 200) values.set(value, (values.get(value) ?? 0) + 1);
    }
  }
  return [...seen]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, values]) => ({
      name,
      // The commonest values, shown in order.
      values: [...values]
        .sort((a, b) => b[1] - a[1])
        .slice(0, VALUES_OFFERED)
        .map(([v]) => v)
        .sort((a, b) => a.localeCompare(b)),
    }));
}

/** A page's URL with its query: `params` first, then the property filters. */
export function pageHref(path: string, params: Record<string, string | undefined | null>, where: PropertyFilter[]): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) query.set(k, v);
  for (const entry of whereEntries(where)) query.append('where', entry);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The filters minus one value of one property. */
function without(where: PropertyFilter[], name: string, value: string): PropertyFilter[] {
  return where
    .map((f) => (f.name === name ? { name, values: f.values.filter((v) => v !== value) } : f))
    .filter((f) => f.values.length > 0);
}

/** The filters plus one value of one property (kept sorted, as whereSchema returns them). */
export function withFilter(where: PropertyFilter[], name: string, value: string): PropertyFilter[] {
  const rest = where.filter((f) => f.name !== name);
  const current = where.find((f) => f.name === name)?.values ?? [];
  const values = [...new Set([...current, value])].sort();
  return [...rest, { name, values }].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface FilterView {
  /** The page the filter form submits to. */
  action: string;
  /** Each active filter with a link that removes it. */
  active: { name: string; value: string; removeHref: string }[];
  /** A link that removes them all. */
  clearHref: string;
  /** `where` entries for a form's hidden fields, so submitting it keeps the filters. */
  entries: string[];
  /** The page's other parameters and the filters, as hidden fields of the form that adds a filter. */
  hidden: { name: string; value: string }[];
  /** Picker choices grouped by property (value "name:value"); the active ones left out. */
  options: { name: string; values: { entry: string; value: string }[] }[];
}

/** What the pages show of the property filters: active ones with remove links, and the picker's choices. */
export function filterView(path: string, params: Record<string, string | undefined | null>, where: PropertyFilter[], options: PropertyOption[]): FilterView {
  const isActive = (name: string, value: string) => where.some((f) => f.name === name && f.values.includes(value));
  return {
    action: path,
    active: where.flatMap((f) => f.values.map((value) => ({ name: f.name, value, removeHref: pageHref(path, params, without(where, f.name, value)) }))),
    clearHref: pageHref(path, params, []),
    entries: whereEntries(where),
    hidden: [
      ...Object.entries(params).flatMap(([name, value]) => (value ? [{ name, value }] : [])),
      ...whereEntries(where).map((value) => ({ name: 'where', value })),
    ],
    options: options
      .map((o) => ({ name: o.name, values: o.values.filter((v) => !isActive(o.name, v)).map((value) => ({ entry: `${o.name}:${value}`, value })) }))
      .filter((o) => o.values.length > 0),
  };
}
