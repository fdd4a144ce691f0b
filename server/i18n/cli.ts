import type { Messages } from './messages.ts';

/** The command line's messages (touchpoint …), in the language of LANG / LC_ALL / LC_MESSAGES: en and de kept in step. */
export const cliMessages: Messages = {
  en: {},
  de: {},
};
