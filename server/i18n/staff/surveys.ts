import type { Messages } from '../messages.ts';

/** The survey list, editor, preview and rule simulation: en and de kept in step. */
export const staffSurveyMessages: Messages = {
  en: {},
  de: {},
};
