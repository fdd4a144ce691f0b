import type { Knex } from 'knex';

/**
 * The audit log is append-only in the database itself, whatever the code above it does:
 * - UPDATE of a row is refused (and TRUNCATE on PostgreSQL);
 * - DELETE is refused for rows younger than 29 days by the database's clock. The shortest retention
 *   the Settings allow is 30 days, so the retention pass (server/audit/retention.ts) never meets it;
 *   the day between is room for a clock that differs a little between the app and the database.
 * Instants are stored as ISO 8601 text (2026-11-23T10:00:00.000Z), compared here as text.
 */

const PROTECTED_DAYS = 29;
const refusedUpdate = 'audit_log is append-only: its rows cannot be changed';
const refusedDelete = `audit_log is append-only: rows younger than ${PROTECTED_DAYS} days cannot be deleted`;

const isPostgres = (knex: Knex) => knex.client.config.client === 'pg';

export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw(`
      CREATE FUNCTION audit_log_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '${refusedUpdate}' USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await knex.raw(`
      CREATE FUNCTION audit_log_refuse_recent_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.at > to_char((now() AT TIME ZONE 'UTC') - interval '${PROTECTED_DAYS} days', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') THEN
          RAISE EXCEPTION '${refusedDelete}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
      END
      $$`);
    await knex.raw('CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_update()');
    await knex.raw('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_update()');
    await knex.raw('CREATE TRIGGER audit_log_no_recent_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_recent_delete()');
    return;
  }
  await knex.raw(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, '${refusedUpdate}'); END`);
  await knex.raw(`
    CREATE TRIGGER audit_log_no_recent_delete BEFORE DELETE ON audit_log
    WHEN OLD.at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${PROTECTED_DAYS} days')
    BEGIN SELECT RAISE(ABORT, '${refusedDelete}'); END`);
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('DROP TRIGGER IF EXISTS audit_log_no_recent_delete ON audit_log');
    await knex.raw('DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log');
    await knex.raw('DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log');
    await knex.raw('DROP FUNCTION IF EXISTS audit_log_refuse_recent_delete()');
    await knex.raw('DROP FUNCTION IF EXISTS audit_log_refuse_update()');
    return;
  }
  await knex.raw('DROP TRIGGER IF EXISTS audit_log_no_recent_delete');
  await knex.raw('DROP TRIGGER IF EXISTS audit_log_no_update');
}
