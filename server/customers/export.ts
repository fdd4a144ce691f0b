import type { Deps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { toDbTime } from '../db/time.ts';
import { audit, type AuditActor } from '../audit/record.ts';
import { customerExportRows, findCustomerByExternalId } from './queries.ts';
import { parseJson, presentCustomer } from './timeline.ts';
import { customerTarget } from './commands.ts';

const parseJsonColumns = <T extends Record<string, unknown>>(row: T, columns: string[]): T => {
  const out: Record<string, unknown> = { ...row };
  for (const c of columns) if (typeof out[c] === 'string') out[c] = parseJson(out[c] as string);
  return out as T;
};

/** Everything stored about one customer (the right of access): the record, events, invitations, responses, unsubscribes, link clicks and actions on the record. */
export async function exportCustomer(deps: Deps, externalId: string, auditActor?: AuditActor) {
  const row = await findCustomerByExternalId(deps.db, externalId);
  if (!row) throw new NotFoundError(`No customer has the id ${externalId}`);
  const rows = await customerExportRows(deps.db, row.id);
  // Nothing changes; the line is written before the data leaves.
  if (auditActor) await audit(deps.db, { actor: auditActor, action: 'customer.exported', target: customerTarget(row) }, deps.clock.now());
  const omit = <T extends Record<string, unknown>>(r: T, keys: string[]) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k)));
  const c = rows.customer;
  return {
    exported_at: toDbTime(deps.clock.now()),
    customer: { ...presentCustomer(c), properties: parseJson(c.properties), bounce_reason: c.bounce_reason, updated_at: c.updated_at },
    events: rows.events.map((e) => omit(parseJsonColumns(e, ['properties']), ['touchpoint_id', 'survey_id', 'customer_id'])),
    invitations: rows.invitations.map((i) => omit(i, ['token_salt', 'token_hash', 'survey_id', 'customer_id', 'claimed_at', 'claimed_by', 'reminder_claimed_at'])),
    responses: rows.responses.map((r) => omit(parseJsonColumns(r, ['properties']), ['survey_id', 'customer_id'])),
    unsubscribes: [
      ...(c.unsubscribed_at ? [{ scope: 'all', touchpoint: null, at: c.unsubscribed_at }] : []),
      ...rows.touchpointUnsubscribes.map((u: { touchpoint: string; created_at: string }) => ({ scope: 'touchpoint', touchpoint: u.touchpoint, at: u.created_at })),
    ],
    link_clicks: rows.linkClicks,
    actions: rows.actions.map((a) => ({ kind: a.kind, at: a.at, by: a.by, detail: parseJson(a.detail) })),
  };
}
