import type { Messages } from '../messages.ts';

/** The customer pages, follow-ups and the digest: en and de kept in step. */
export const staffCustomerMessages: Messages = {
  en: {},
  de: {},
};
