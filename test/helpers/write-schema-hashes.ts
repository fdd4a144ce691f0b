// npm run schema:hashes: records, per migration, the hash of the schema it leaves (SQLite, and PostgreSQL when
// TEST_DATABASE_URL is set) in test/fixtures/schema-hashes.json, keeping the hashes of migrations already there.
import fs from 'node:fs';
import { createTestContext } from './context.ts';
import { migrateNext, migrateRollbackAll } from '../../server/db/knex.ts';
import { isPostgres } from '../../server/db/dialect.ts';
import { readSchemaHashes, schemaHash, schemaHashesFile } from './schema.ts';

const hashes = readSchemaHashes();
const ctx = await createTestContext();
try {
  const { db } = ctx.deps;
  const dialect = isPostgres(db) ? 'postgres' : 'sqlite';
  await migrateRollbackAll(db);
  for (let name = await migrateNext(db); name; name = await migrateNext(db)) {
    const hash = await schemaHash(db);
    if (hashes[dialect][name] && hashes[dialect][name] !== hash) console.error(`changed: ${name} (${dialect}): kept the recorded hash; an old migration must not change`);
    else hashes[dialect][name] ??= hash;
  }
  fs.writeFileSync(schemaHashesFile, JSON.stringify(hashes, null, 2) + '\n');
  console.log(`schema hashes for ${dialect} written to ${schemaHashesFile}`);
} finally {
  await ctx.close();
}
