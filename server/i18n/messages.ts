/** A part of the message catalogue: one file's texts in English and German (its owner keeps them in step). */
export interface Messages {
  en: Readonly<Record<string, string>>;
  de: Readonly<Record<string, string>>;
}
