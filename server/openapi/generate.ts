import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { apiScopes, scopeDescriptions, type ApiScope } from '../apikeys/scopes.ts';
import { problem } from './problem.ts';
import { eventPaths, surveyPaths } from './survey-event-paths.ts';
import { customerPaths, reportPaths } from './report-customer-paths.ts';
import { webhookPaths } from './webhook-paths.ts';
import { webhookPayloads } from './webhook-payloads.ts';

/**
 * The OpenAPI 3.1 description of /api/v1 (DESIGN.md, "JSON API"), generated from the zod schemas the
 * routes parse with and the ones beside it that describe their answers; served at GET /api/v1/openapi.json.
 * A call added to the API is added to a *-paths.ts file here; test/integration/openapi.test.ts checks
 * that the calls documented and the calls in API_ROUTE_SCOPES are the same, and real answers against it.
 */

/** A call of the API and the one scope it needs: an entry of API_ROUTE_SCOPES (server/api.ts), which hands the table in. */
export interface RouteScope {
  method: string;
  path: string;
  scope: ApiScope;
}

const documented: readonly RouteConfig[] = [...surveyPaths, ...eventPaths, ...reportPaths, ...customerPaths, ...webhookPaths];

/** `/customers/:id` as OpenAPI writes it: `/customers/{id}`. */
const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

/** The operation with the scope it needs: as `x-required-scope`, in `security` and in the description, and its 403. */
const withScope = (route: RouteConfig, scope: ApiScope): RouteConfig => ({
  ...route,
  description: `${route.description ? `${route.description} ` : ''}Needs an API key with the scope \`${scope}\`.`,
  security: [{ bearerAuth: [scope] }],
  'x-required-scope': scope,
  responses: {
    ...route.responses,
    403: problem(`The API key lacks the scope \`${scope}\`: the title says so ("This API key lacks the scope ${scope}"), and \`errors\` has \`{field: "scope", message}\`.`),
  },
});

const scopeList = apiScopes.map((s) => `\`${s}\` (${scopeDescriptions[s]})`).join(', ');

const bearerAuth = {
  type: 'http' as const,
  scheme: 'bearer',
  description:
    'An API key: `Authorization: Bearer tp_…`. Keys carry scopes; each call needs one, named by its `x-required-scope` and its `security`. ' +
    `The scopes: ${scopeList}. A key created without naming scopes has every scope; keys that existed before scopes keep every scope until an admin narrows them. ` +
    'Only admins (and the command line) give `customers:write`. A key may expire; a revoked or expired key, or one whose creator has been deactivated, answers 401.',
};

const info = {
  title: 'Touchpoint API',
  version: '1',
  summary: 'Send transaction events, manage surveys, read responses and NPS / CSAT / CES metrics.',
  description:
    'Every call needs `Authorization: Bearer KEY` (create keys on the API keys page or with `touchpoint apikey create --name NAME`). ' +
    'Bodies are JSON. Errors are `application/problem+json` (RFC 9457) with `errors: [{field, message}]` naming each failing field. ' +
    'Each call needs one scope of the key (`x-required-scope` on the operation); a key without it gets 403 naming the scope. ' +
    'An address under /api/v1 with no call answers 404 problem+json whatever the method (405 for a known address and another method); without a valid key, every address answers 401.',
};

/** The document, each call's scope taken from `routeScopes` (API_ROUTE_SCOPES). */
export function openApiDocument(routeScopes: readonly RouteScope[]) {
  const scopeOf = new Map(routeScopes.map((r) => [`${r.method.toLowerCase()} ${openApiPath(r.path)}`, r.scope]));
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', bearerAuth);
  for (const route of documented) {
    const scope = scopeOf.get(`${route.method} ${route.path}`);
    // A call missing from the table answers 404 to everyone: it must not be documented as if it worked.
    if (!scope) throw new Error(`The OpenAPI document describes ${route.method.toUpperCase()} ${route.path}, which API_ROUTE_SCOPES (server/api.ts) does not list`);
    registry.registerPath(withScope(route, scope));
  }
  // What Touchpoint sends to a webhook endpoint, per event type.
  for (const webhook of webhookPayloads) registry.registerWebhook(webhook);
  const generated = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info,
    servers: [{ url: '/api/v1' }],
    security: [{ bearerAuth: [] }],
    tags: [{ name: 'surveys' }, { name: 'events' }, { name: 'metrics' }, { name: 'responses' }, { name: 'customers' }, { name: 'webhooks' }],
  });
  // Nothing is registered as a parameter component: leave the empty section out.
  const { parameters: _parameters, ...components } = generated.components ?? {};
  return { ...generated, components };
}
