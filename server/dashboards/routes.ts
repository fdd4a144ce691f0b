import { Router } from 'express';
import type { Deps } from '../deps.ts';

// STUB: replaced by the feature's owner.
export function dashboardRoutes(_deps: Deps): Router {
  return Router();
}
