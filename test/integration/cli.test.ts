import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type TestContext, withTestContext } from '../helpers/context.ts';
import { apiScopes } from '../../server/apikeys/scopes.ts';

const run = promisify(execFile);

/** The real `touchpoint` command against the test database, in English (whatever this machine's language: test/integration/i18n-cli.test.ts has the German). */
function touchpoint(ctx: TestContext, ...args: string[]) {
  return run(process.execPath, ['server/touchpoint.js', ...args], {
    env: {
      ...process.env,
      LC_ALL: '',
      LC_MESSAGES: '',
      LANG: 'C',
      DATABASE_URL: ctx.deps.config.databaseUrl,
      SESSION_SECRET: ctx.deps.config.sessionSecret,
      LOG_LEVEL: 'silent',
    },
  });
}

describe('the touchpoint command', function () {
  this.timeout(60_000);
  const ctx = withTestContext();

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
    expect(failed.stderr.trim()).to.equal('Role must be admin, editor or viewer.');
    // Each field once, as a sentence; no log lines among them (the database was migrated before).
    const both = await touchpoint(ctx, 'user', 'create', '--email', 'x', '--role', 'boss').catch((e) => e);
    expect(both.stderr.trim().split('\n')).to.deep.equal(['Email must be an email address.', 'Role must be admin, editor or viewer.']);
    expect(failed.stdout).to.equal('');
  });

  it('creates an API key, printed alone on the last line, that the API accepts', async () => {
    const { stdout } = await touchpoint(ctx, 'apikey', 'create', '--name', 'shop');
    const key = stdout.trim().split('\n').at(-1)!;
    expect(key).to.match(/^tp_[A-Za-z0-9_-]{20,}$/);
    await ctx.api.withKey(key).get('/api/v1/surveys').expect(200);
    await ctx.api.withKey('tp_wrong').get('/api/v1/surveys').expect(401);
    // Without --scopes: every scope, owned by the command line, audited without the key.
    const row = await ctx.deps.db('api_keys').where({ name: 'shop' }).first();
    expect(row.scopes).to.equal(apiScopes.join(' '));
    expect(row).to.include({ created_by_user_id: null, created_by_label: 'command line', expires_at: null });
    const [line] = await ctx.deps.db('audit_log').where({ action: 'apikey.created', target_id: String(row.id) });
    expect(line).to.include({ actor_type: 'cli', actor_label: 'command line' });
    expect(line.detail).not.to.contain(key);
  });

  it('creates a key with --scopes and --expires (the key still alone on the last line)', async () => {
    // The command runs on the real clock: an expiry a month from now.
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const { stdout } = await touchpoint(ctx, 'apikey', 'create', '--name', 'reporting', '--scopes', 'metrics:read, customers:write', '--expires', expires);
    const lines = stdout.trim().split('\n');
    const key = lines.at(-1)!;
    expect(key).to.match(/^tp_[A-Za-z0-9_-]{20,}$/);
    expect(stdout).to.contain('with the scopes metrics:read, customers:write');
    const row = await ctx.deps.db('api_keys').where({ name: 'reporting' }).first();
    expect(row.scopes).to.equal('metrics:read customers:write');
    // A date: the key works through that day (the reporting time zone, UTC here).
    const end = new Date(`${expires}T00:00:00Z`);
    end.setUTCDate(end.getUTCDate() + 1);
    expect(row.expires_at).to.equal(end.toISOString());
    expect(stdout).to.contain(`it expires at ${end.toISOString()}`);
    const refused = await ctx.api.withKey(key).get('/api/v1/surveys').expect(403);
    expect(refused.body.title).to.equal('This API key lacks the scope surveys:read');
    await ctx.api.withKey(key).get('/api/v1/customers/nobody/export').expect(404);
    const [line] = await ctx.deps.db('audit_log').where({ action: 'apikey.created', target_id: String(row.id) });
    expect(JSON.parse(line.detail)).to.deep.include({ scopes: ['metrics:read', 'customers:write'], expires_at: end.toISOString() });
  });

  it('refuses an unknown scope and a bad expiry, naming them, with a non-zero exit and no key', async () => {
    const unknown = await touchpoint(ctx, 'apikey', 'create', '--name', 'bad', '--scopes', 'metrics:read,everything').catch((e) => e);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('scopes: "everything" is not a scope; the scopes are events:write');
    expect(unknown.stdout).not.to.match(/tp_/);
    const empty = await touchpoint(ctx, 'apikey', 'create', '--name', 'bad', '--scopes', ' , ').catch((e) => e);
    expect(empty.code).to.equal(1);
    expect(empty.stderr).to.contain('Scopes must include at least one scope');
    const expiry = await touchpoint(ctx, 'apikey', 'create', '--name', 'bad', '--expires', 'soon').catch((e) => e);
    expect(expiry.code).to.equal(1);
    expect(expiry.stderr).to.contain('Expires must be a date (YYYY-MM-DD) or an ISO 8601 instant');
    // Once, not repeated under a summary.
    expect(expiry.stderr.match(/Expires must be a date/g)).to.have.length(1);
    const past = await touchpoint(ctx, 'apikey', 'create', '--name', 'bad', '--expires', '2020-01-01').catch((e) => e);
    expect(past.code).to.equal(1);
    expect(past.stderr).to.contain('Expires must be in the future.');
    expect(await ctx.deps.db('api_keys').where({ name: 'bad' }).first()).to.equal(undefined);
  });

  it('revokes the keys of a name; none left is a failure', async () => {
    const { stdout } = await touchpoint(ctx, 'apikey', 'create', '--name', 'old shop', '--scopes', 'events:write');
    const key = stdout.trim().split('\n').at(-1)!;
    await ctx.api.withKey(key).post('/api/v1/events').send({}).expect(422);
    const revoked = await touchpoint(ctx, 'apikey', 'revoke', '--name', 'old shop');
    expect(revoked.stdout).to.contain(`Revoked API key "old shop" (${key.slice(0, 10)}…)`);
    const refused = await ctx.api.withKey(key).post('/api/v1/events').send({}).expect(401);
    expect(refused.body.title).to.equal('This API key has been revoked');
    const row = await ctx.deps.db('api_keys').where({ name: 'old shop' }).first();
    expect(row.revoked_by_label).to.equal('command line');
    const [line] = await ctx.deps.db('audit_log').where({ action: 'apikey.revoked', target_id: String(row.id) });
    expect(line).to.include({ actor_type: 'cli', target_label: 'old shop' });

    const again = await touchpoint(ctx, 'apikey', 'revoke', '--name', 'old shop').catch((e) => e);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain('There is no API key named "old shop" that is not revoked yet.');
    const nameless = await touchpoint(ctx, 'apikey', 'revoke').catch((e) => e);
    expect(nameless.code).to.equal(1);
    expect(nameless.stderr).to.contain('Name must not be empty');
  });

  it('names the apikey commands and their flags in its usage', async () => {
    const { stdout } = await touchpoint(ctx, '--help');
    expect(stdout).to.contain('apikey create --name N [--scopes a,b] [--expires DATE]');
    expect(stdout).to.contain('apikey revoke --name N');
    for (const scope of apiScopes) expect(stdout).to.contain(scope);
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

  it('answers an unknown flag, or a flag without its value, with one sentence (no stack) and exit code 2', async () => {
    const unknown = await touchpoint(ctx, 'migrate', '--frob').catch((e) => e);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr.trim()).to.equal('Unknown option --frob; touchpoint --help lists the options.');
    const missing = await touchpoint(ctx, 'apikey', 'create', '--name').catch((e) => e);
    expect(missing.code).to.equal(2);
    expect(missing.stderr.trim()).to.equal('The option --name needs a value, as in --name VALUE.');
    const extra = await touchpoint(ctx, 'import', 'responses', 'x.csv', '--dry-run=yes').catch((e) => e);
    expect(extra.code).to.equal(2);
    expect(extra.stderr.trim()).to.equal('The option --dry-run takes no value.');
  });

  it('says each refused row once on standard output, writes no progress where standard error is no terminal, and exits 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-cli-'));
    try {
      const file = path.join(dir, 'refused.csv');
      fs.writeFileSync(file, 'survey,score,answered_at\nnope,5,2026-05-01T10:00:00Z\nnope,5\n');
      const failed = await touchpoint(ctx, 'import', 'responses', file).catch((e) => e);
      expect(failed.code).to.equal(1);
      expect(failed.stdout.trim().split('\n')).to.deep.equal([
        'line 2: unknown survey "nope"',
        'line 3: has 2 fields, the header has 3',
        '0 rows taken, 2 rows refused, 0 rows skipped as already imported',
      ]);
      expect(failed.stderr).to.equal('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
