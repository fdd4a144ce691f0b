import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { migrateLatest, migrateNext, migrateRollbackAll } from '../../server/db/knex.ts';
import { isPostgres } from '../../server/db/dialect.ts';
import { readSchemaHashes, schemaHash, schemaHashesFile } from '../helpers/schema.ts';

const migrationsDir = path.resolve('migrations');

describe('migrations', () => {
  const ctx = withTestContext();

  it('stand alone: no migration imports the application (only knex and packages)', () => {
    for (const file of fs.readdirSync(migrationsDir).filter((f) => f.endsWith('.ts'))) {
      const imports = [...fs.readFileSync(path.join(migrationsDir, file), 'utf8').matchAll(/^\s*import\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
      for (const spec of imports) expect(spec.startsWith('.') || spec.startsWith('/'), `${file} imports ${spec}`).to.equal(false);
    }
  });

  it('roll back completely and apply again on this database', async () => {
    const { db } = ctx.deps;
    await migrateRollbackAll(db);
    expect(await db.schema.hasTable('surveys')).to.equal(false);
    const applied = await migrateLatest(db);
    expect(applied.length).to.be.greaterThan(4);
    for (const table of ['users', 'surveys', 'events', 'invitations', 'responses', 'response_daily', 'mailbox_messages', 'answers', 'audit_log']) {
      expect(await db.schema.hasTable(table), table).to.equal(true);
    }
  });

  it('make the same schema as when each was written: a change to a migration that has run somewhere is caught', async () => {
    const { db } = ctx.deps;
    const dialect = isPostgres(db) ? 'postgres' : 'sqlite';
    const expected = readSchemaHashes()[dialect];
    await migrateRollbackAll(db);
    const found: Record<string, string> = {};
    for (let name = await migrateNext(db); name; name = await migrateNext(db)) found[name] = await schemaHash(db);
    const missing = Object.keys(found).filter((name) => !(name in expected));
    expect(missing, `new migrations without a schema hash in ${schemaHashesFile}: run \`npm run schema:hashes\` (with TEST_DATABASE_URL for PostgreSQL) and commit it`).to.deep.equal([]);
    for (const [name, hash] of Object.entries(found)) expect(hash, `the schema after ${name} (${dialect}) is not what it was: was an old migration changed?`).to.equal(expected[name]);
  });
});
