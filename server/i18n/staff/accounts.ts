import type { Messages } from '../messages.ts';

/** Sign-in, password, two-factor, first-run setup, account and error pages: en and de kept in step. */
export const staffAccountMessages: Messages = {
  en: {},
  de: {},
};
