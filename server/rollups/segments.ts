import { quarterHourOf } from '../dates.ts';

/** The (property, value) pairs that segment rollups count and property filters match. */

/**
 * A property value as the segment rollup keeps it: strings as they are, numbers and true/false written
 * out; null (and anything else that is not a scalar) is not counted, so it falls under '(none)'.
 */
export function segmentValue(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return null;
}

/** The (name, value) pairs of a response's properties that the segment rollup counts. */
export function segmentPairs(properties: Record<string, unknown> | string | null | undefined): [string, string][] {
  let parsed: unknown = properties ?? {};
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed);
    } catch {
      return [];
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
  const pairs: [string, string][] = [];
  for (const [name, raw] of Object.entries(parsed)) {
    const value = segmentValue(raw);
    if (value !== null) pairs.push([name, value]);
  }
  return pairs;
}

/**
 * The rows of a property-value table (response_values, invitation_values, event_values): one per
 * (name, value) pair of `properties`, each `base` with the pair and the UTC quarter-hour of `at`.
 */
export function valueRowsOf<B extends object>(base: B, properties: Record<string, unknown> | string | null | undefined, at: Date | string): (B & { name: string; value: string; quarter: number })[] {
  const quarter = quarterHourOf(at);
  return segmentPairs(properties).map(([name, value]) => ({ ...base, name, value, quarter }));
}
