import { Router } from 'express';

// STUB: replaced by the feature's owner.
export function openApiRoutes(): Router {
  return Router();
}
