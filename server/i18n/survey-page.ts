/** Words customers read; the owner of this file keeps en and de in step. */
export const surveyPageMessages: { en: Record<string, string>; de: Record<string, string> } = {
  en: {},
  de: {},
};
