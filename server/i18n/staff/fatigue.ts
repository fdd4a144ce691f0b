import type { Messages } from '../messages.ts';

/** The survey-fatigue page (/fatigue): en and de kept in step. */
export const staffFatigueMessages: Messages = {
  en: {},
  de: {},
};
