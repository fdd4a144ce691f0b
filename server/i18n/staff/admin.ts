import type { Messages } from '../messages.ts';

/** Settings, users, API keys and webhooks pages: en and de kept in step. */
export const staffAdminMessages: Messages = {
  en: {},
  de: {},
};
