import { expect } from 'chai';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { migrateLatest, migrateRollbackAll } from '../../server/db/knex.ts';

describe('migrations', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestContext();
  });
  after(async () => ctx?.close());

  it('roll back completely and apply again on this database', async () => {
    const { db } = ctx.deps;
    await migrateRollbackAll(db);
    expect(await db.schema.hasTable('surveys')).to.equal(false);
    const applied = await migrateLatest(db);
    expect(applied.length).to.be.greaterThan(4);
    for (const table of ['users', 'surveys', 'events', 'invitations', 'responses', 'response_daily', 'mailbox_messages']) {
      expect(await db.schema.hasTable(table), table).to.equal(true);
    }
  });
});
