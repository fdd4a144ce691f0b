/**
 * Instants are stored as UTC ISO 8601 strings of one fixed form
 * (2026-11-23T10:00:00.000Z), so that they sort and compare as text on both
 * SQLite and PostgreSQL.
 */
export const toDbTime = (at: Date): string => at.toISOString();

