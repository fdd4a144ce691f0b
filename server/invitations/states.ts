/**
 * The invitation's states, as one type (DESIGN.md, "Domain words"). An invitation is offered to one
 * customer for one event; the worker moves it along the outbox (outbox.ts), the answer page marks it
 * answered (queries.ts):
 *
 *   scheduled ──claim──▶ sending ──sent──▶ sent ──answer──▶ responded
 *       ▲                  │  │                 └─expiry──▶ expired
 *       └──retry (backoff)─┘  ├─recheck fails──▶ suppressed
 *                             └─gives up / 5xx─▶ failed
 *
 * A `sending` row whose worker stopped goes back to being claimed once its claim is stale.
 *
 * The web channel (widget/): an invitation of a `web` or `email_or_web` survey waits for the customer's
 * next page view instead of the worker's email:
 *
 *   waiting ──page view──▶ shown ──answer──▶ responded
 *      │                     └──close──▶ dismissed
 *      └─window ends──▶ expired (web), or scheduled as an email (email_or_web)
 */
export const invitationStates = ['scheduled', 'sending', 'sent', 'waiting', 'shown', 'dismissed', 'responded', 'suppressed', 'failed', 'expired'] as const;
export type InvitationState = (typeof invitationStates)[number];

/** The states by name, for queries: `state: InvitationStates.sent`. */
export const InvitationStates = Object.fromEntries(invitationStates.map((s) => [s, s])) as { readonly [S in InvitationState]: S };

/** States that count for cooldowns and caps when an event arrives: it was (or is about to be) offered. */
export const countingStates = ['scheduled', 'sending', 'sent', 'waiting', 'shown', 'dismissed', 'responded'] as const satisfies readonly InvitationState[];

/** States in which the customer was contacted: sent the email, or shown the widget (a dismissal counts as a contact). */
export const sentStates = ['sending', 'sent', 'shown', 'dismissed', 'responded'] as const satisfies readonly InvitationState[];
