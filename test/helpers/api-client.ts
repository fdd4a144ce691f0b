import supertest from 'supertest';
import type { Express } from 'express';

/** A request body: an object or array sent as JSON, a string as it is (set its type with `.type(…)`). */
type Body = string | object;

/**
 * The JSON API as a script calls it: every request carries `Authorization: Bearer <key>`.
 * Paths are whole (`/api/v1/surveys`). Each call returns the supertest request, so
 * `.query(…)`, `.set(…)`, `.send(…)` and `.expect(…)` chain on as usual.
 */
export interface ApiClient {
  get(path: string): supertest.Test;
  head(path: string): supertest.Test;
  delete(path: string): supertest.Test;
  /** With `body`, sends it (as `.send(body)` would). */
  post(path: string, body?: Body): supertest.Test;
  patch(path: string, body?: Body): supertest.Test;
  put(path: string, body?: Body): supertest.Test;
  /** The same calls with another key (one made for a test, a revoked one, a wrong one). */
  withKey(key: string): ApiClient;
}

/** An API client for `app` bound to `key`. */
export function apiClient(app: Express, key: string): ApiClient {
  const call = (method: 'get' | 'head' | 'delete' | 'post' | 'patch' | 'put', path: string, body?: Body) => {
    const req = supertest(app)[method](path).set('Authorization', `Bearer ${key}`);
    return body === undefined ? req : req.send(body);
  };
  return {
    get: (path) => call('get', path),
    head: (path) => call('head', path),
    delete: (path) => call('delete', path),
    post: (path, body) => call('post', path, body),
    patch: (path, body) => call('patch', path, body),
    put: (path, body) => call('put', path, body),
    withKey: (other) => apiClient(app, other),
  };
}
