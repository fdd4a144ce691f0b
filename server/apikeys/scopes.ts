/**
 * What an API key may do (DESIGN.md, "Public interfaces"). Each API call needs exactly one scope (the table
 * is in server/api.ts); no scope implies another. A key created without naming scopes gets every scope.
 */
export const apiScopes = [
  'events:write',
  'surveys:read',
  'surveys:write',
  'metrics:read',
  'responses:read',
  'customers:read',
  'customers:write',
  'webhooks:write',
] as const;

export type ApiScope = (typeof apiScopes)[number];

/** What each scope allows, for the API keys page, the usage text and the OpenAPI document. */
export const scopeDescriptions: Record<ApiScope, string> = {
  'events:write': 'send transaction events (single and batch)',
  'surveys:read': 'list and read surveys',
  'surveys:write': 'create and change surveys',
  'metrics:read': 'read metrics',
  'responses:read': 'read responses, with their comments',
  'customers:read': "read a customer's record and timeline",
  'customers:write': "export and erase a customer's personal data",
  'webhooks:write': 'manage webhooks',
};

/** Scopes that only an admin (or the command line) can give a key: erasing and exporting customers. */
export const adminOnlyScopes: readonly ApiScope[] = ['customers:write'];

export const isApiScope = (value: string): value is ApiScope => (apiScopes as readonly string[]).includes(value);

/** Scopes in the canonical order, without repeats. */
export const sortScopes = (scopes: Iterable<ApiScope>): ApiScope[] => {
  const set = new Set(scopes);
  return apiScopes.filter((s) => set.has(s));
};

/** The stored form: space-separated. */
export const scopesToDb = (scopes: Iterable<ApiScope>): string => sortScopes(scopes).join(' ');

/** The stored form read back; NULL (a row written outside Touchpoint) reads as every scope; unknown words are dropped. */
export const scopesFromDb = (value: string | null | undefined): ApiScope[] =>
  value === null || value === undefined ? [...apiScopes] : sortScopes(value.split(/\s+/).filter(isApiScope));

export const hasEveryScope = (scopes: readonly ApiScope[]): boolean => apiScopes.every((s) => scopes.includes(s));
