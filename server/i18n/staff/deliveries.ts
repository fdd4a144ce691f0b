import type { Messages } from '../messages.ts';

/** The delivery log, the mailbox and the audit log: en and de kept in step. */
export const staffDeliveryMessages: Messages = {
  en: {},
  de: {},
};
