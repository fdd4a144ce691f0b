import express, { Router } from 'express';
import type { Deps } from './deps.ts';
import { refuseNul } from './http/refuse-nul.ts';
import { requireApiKey } from './apikeys/middleware.ts';
import { surveyApiRoutes } from './surveys/api-routes.ts';
import { eventApiRoutes } from './events/api-routes.ts';
import { metricsApiRoutes } from './metrics/api-routes.ts';
import { responseApiRoutes } from './responses/api-routes.ts';
import { customerApiRoutes } from './customers/api-routes.ts';
import { openApiRoutes } from './openapi/routes.ts';

/** /api/v1: JSON in and out, an API key on every call but the OpenAPI document. */
export function apiRoutes(deps: Deps): Router {
  const api = Router();
  api.use(openApiRoutes());
  // The key first: nobody without one gets a 2 MB body read.
  api.use(requireApiKey(deps), refuseNul);
  api.use(express.json({ limit: '2mb', strict: true, type: ['application/json', 'application/*+json'] }));
  api.use(surveyApiRoutes(deps));
  api.use(eventApiRoutes(deps));
  api.use(metricsApiRoutes(deps));
  api.use(responseApiRoutes(deps));
  api.use(customerApiRoutes(deps));
  return api;
}
