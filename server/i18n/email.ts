/** Words customers read; the owner of this file keeps en and de in step. */
export const emailMessages: { en: Record<string, string>; de: Record<string, string> } = {
  en: {},
  de: {},
};
