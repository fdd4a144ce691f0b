import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import supertest from 'supertest';
import { createTestContext, type TestContext } from '../helpers/context.ts';

const run = promisify(execFile);

/** The real `touchpoint` command against the test database. */
function touchpoint(ctx: TestContext, ...args: string[]) {
  return run(process.execPath, ['server/touchpoint.js', ...args], {
    env: {
      ...process.env,
      DATABASE_URL: ctx.deps.config.databaseUrl,
      SESSION_SECRET: ctx.deps.config.sessionSecret,
      LOG_LEVEL: 'silent',
    },
  });
}

describe('the touchpoint command', function () {
  this.timeout(60_000);
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestContext();
  });
  after(async () => ctx?.close());

  it('creates a user who can then sign in', async () => {
    const { stdout } = await touchpoint(ctx, 'user', 'create', '--email', 'cli@example.com', '--role', 'editor', '--password', 'a long enough password');
    expect(stdout).to.contain('Created editor cli@example.com');
    const row = await ctx.deps.db('users').where({ email: 'cli@example.com' }).first();
    expect(row.role).to.equal('editor');
    expect(row.password_hash).to.match(/^scrypt\$/);
  });

  it('refuses a bad role, naming the field', async () => {
    const failed = await touchpoint(ctx, 'user', 'create', '--email', 'x@example.com', '--role', 'boss').catch((e) => e);
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.match(/role/);
  });

  it('creates an API key, printed alone on the last line, that the API accepts', async () => {
    const { stdout } = await touchpoint(ctx, 'apikey', 'create', '--name', 'shop');
    const key = stdout.trim().split('\n').at(-1)!;
    expect(key).to.match(/^tp_[A-Za-z0-9_-]{20,}$/);
    await supertest(ctx.app).get('/api/v1/surveys').set('Authorization', `Bearer ${key}`).expect(200);
    await supertest(ctx.app).get('/api/v1/surveys').set('Authorization', 'Bearer tp_wrong').expect(401);
  });

  it('names the import flags in its usage', async () => {
    const { stdout } = await touchpoint(ctx, '--help');
    expect(stdout).to.contain('import responses FILE.csv [--dry-run]');
    expect(stdout).to.contain('import events FILE.csv [--dry-run] [--send]');
  });

  it('answers an unknown command with the usage and exit code 2', async () => {
    const failed = await touchpoint(ctx, 'frobnicate').catch((e) => e);
    expect(failed.code).to.equal(2);
    expect(failed.stderr).to.contain('Usage: touchpoint');
  });
});
