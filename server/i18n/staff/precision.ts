import type { Messages } from '../messages.ts';

/** The precision target: the survey page, the form and the simulation's part of it: en and de kept in step. */
export const staffPrecisionMessages: Messages = {
  en: {},
  de: {},
};
