import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import knexFactory from 'knex';
import supertest from 'supertest';
import type { Express } from 'express';
import { loadConfig, type Config } from '../../server/config.ts';
import { migrateLatest, openDb } from '../../server/db/knex.ts';
import { ManualClock } from '../../server/clock.ts';
import { createLog, silentLog, type Log } from '../../server/log.ts';
import { createApp } from '../../server/app.ts';
import { createTransport } from '../../server/mail/transports.ts';
import type { Deps } from '../../server/deps.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { findUserById, insertUser, type UserRow } from '../../server/auth/queries.ts';
import { createApiKey } from '../../server/apikeys/service.ts';
import type { Role } from '../../server/auth/roles.ts';
import { apiClient, type ApiClient } from './api-client.ts';

/** The password of every user the context makes (strong enough for the password rules). */
export const TEST_PASSWORD = 'correct horse battery';

// One scrypt hash (N=2^17 takes a few hundred ms) for every user the contexts make, computed once.
let testPasswordHash: Promise<string> | undefined;

/** Adds a user with TEST_PASSWORD straight to the table (no audit line: the audit log starts empty). */
async function insertTestUser(db: Deps['db'], email: string, role: Role, at: Date): Promise<UserRow> {
  testPasswordHash ??= hashPassword(TEST_PASSWORD);
  const id = await insertUser(db, { email, name: '', role, locale: 'en', password_hash: await testPasswordHash, created_at: at.toISOString() });
  return (await findUserById(db, id)) as UserRow;
}

export interface TestContext {
  deps: Deps;
  clock: ManualClock;
  app: Express;
  /** An API key with full access. */
  apiKey: string;
  /** The JSON API called with `apiKey`: `ctx.api.get('/api/v1/surveys').expect(200)`. */
  api: ApiClient;
  /** A supertest agent signed in with `role` (a new user, or the first admin), and the CSRF token for its forms. */
  signIn(role: Role, email?: string): Promise<{ agent: supertest.Agent; csrf: string; email: string; userId: number }>;
  close(): Promise<void>;
}

interface TestContextOptions {
  /** Settings on top of the test defaults (DATABASE_URL, SESSION_SECRET, BASE_URL, LOG_LEVEL). */
  env?: Record<string, string>;
  clock?: ManualClock;
  log?: Log;
}

/**
 * A fresh Touchpoint on a real database: a new SQLite file in a temp folder, or,
 * with TEST_DATABASE_URL set, a new PostgreSQL database created for this context.
 * The app logs to `log` when given (see captureLog in ./log.ts), else nowhere
 * (TEST_LOG=1: to the console). Inside a describe block, withTestContext or
 * withTestContextPerTest make and close it.
 */
export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-test-'));
  const { databaseUrl, dropDatabase } = await freshDatabase(dir);
  const config: Config = loadConfig({
    DATABASE_URL: databaseUrl,
    SESSION_SECRET: 'test-secret-test-secret-test-secret-0123',
    BASE_URL: 'http://127.0.0.1:3000',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const db = openDb(config.databaseUrl, { poolMax: config.databasePoolMax });
  await migrateLatest(db);
  const clock = options.clock ?? new ManualClock();
  const log = options.log ?? (process.env.TEST_LOG ? createLog('debug') : silentLog);
  const deps: Deps = { config, db, clock, log, mail: createTransport(config, db, silentLog, clock) };
  const app = createApp(deps);
  const admin = await insertTestUser(db, 'admin@example.com', 'admin', clock.now());
  const { key: apiKey } = await createApiKey(db, { name: 'tests' }, clock.now());

  async function signIn(role: Role, chosenEmail?: string) {
    const email = chosenEmail ?? (role === 'admin' ? admin.email : `${role}-${crypto.randomUUID()}@example.com`);
    if (email !== admin.email) await insertTestUser(db, email, role, clock.now());
    const agent = supertest.agent(app);
    const csrf = await csrfFrom(agent, '/login');
    await agent.post('/login').type('form').send({ email, password: TEST_PASSWORD, _csrf: csrf }).expect(303);
    const user = await db('users').where({ email }).first();
    return { agent, csrf: await csrfFrom(agent, '/account'), email, userId: user.id as number };
  }

  return {
    deps,
    clock,
    app,
    apiKey,
    api: apiClient(app, apiKey),
    signIn,
    async close() {
      await deps.mail.close();
      await db.destroy();
      await dropDatabase();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Options of a context, or a function giving them when the context is made (in the hook),
 * for what exists only then: the port of an SMTP receiver, a captured log, a fresh clock.
 */
type ContextSetup = TestContextOptions | (() => TestContextOptions);

/**
 * One Touchpoint for the whole describe block: made in a `before` hook, closed in an `after`
 * hook. For blocks whose tests only read, or that build on each other in order. Returns the
 * context to use in the block's hooks and tests (not while the block is defined):
 *
 *     describe('metrics', () => {
 *       const ctx = withTestContext();
 *       before(async () => seed(ctx)); // runs after the context is made
 *       it('…', async () => ctx.api.get('/api/v1/metrics?survey=x').expect(200));
 *     });
 *
 * Mocha runs a block's hooks of one kind in the order they are registered: a `before` the block
 * registers after this call can use the context; an `after` that still needs it must be
 * registered before this call.
 */
export function withTestContext(setup: ContextSetup = {}): TestContext {
  return contextForHooks(before, after, setup, 'withTestContext');
}

/**
 * A fresh Touchpoint for each test of the describe block (`beforeEach`, `afterEach`), for tests
 * that write; otherwise as withTestContext.
 */
export function withTestContextPerTest(setup: ContextSetup = {}): TestContext {
  return contextForHooks(beforeEach, afterEach, setup, 'withTestContextPerTest');
}

function contextForHooks(open: Mocha.HookFunction, close: Mocha.HookFunction, setup: ContextSetup, name: string): TestContext {
  let current: TestContext | undefined;
  open('make a test context', async () => {
    current = await createTestContext(typeof setup === 'function' ? setup() : setup);
  });
  close('close the test context', async () => {
    const closing = current;
    current = undefined;
    await closing?.close();
  });
  const context = (): TestContext => {
    if (!current) throw new Error(`${name}: the test context is there only inside the block's hooks and tests`);
    return current;
  };
  return new Proxy({} as TestContext, {
    get: (_target, property) => Reflect.get(context(), property),
    has: (_target, property) => Reflect.has(context(), property),
    ownKeys: () => Reflect.ownKeys(context()),
    getOwnPropertyDescriptor: (_target, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(context(), property);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}

/** The CSRF token of the form on a page (every app page carries one in a meta tag). */
export async function csrfFrom(agent: supertest.Agent, page: string): Promise<string> {
  const res = await agent.get(page);
  const match = /name="csrf-token" content="([^"]+)"/.exec(res.text);
  if (!match) throw new Error(`no CSRF token on ${page} (status ${res.status})`);
  return match[1];
}

async function freshDatabase(dir: string): Promise<{ databaseUrl: string; dropDatabase: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return { databaseUrl: path.join(dir, 'touchpoint.db'), dropDatabase: async () => {} };
  const name = `tp_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  await admin.raw('CREATE DATABASE ??', [name]);
  await admin.destroy();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    async dropDatabase() {
      const again = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
      await again.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
      await again.destroy();
    },
  };
}
