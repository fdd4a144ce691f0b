import type { Messages } from '../messages.ts';

/** The dashboards (overview and touchpoint pages): en and de kept in step. */
export const staffDashboardMessages: Messages = {
  en: {},
  de: {},
};
