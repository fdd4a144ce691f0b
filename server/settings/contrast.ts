/*
 * WCAG 2 colour contrast, for colours customers see (the brand colour in
 * survey email and pages). No imports, so the email renderer may use it too.
 */

const channels = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
const toHex = (rgb: number[]) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;

/** WCAG 2 relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two #rrggbb colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** White or black, whichever has the higher contrast on `hex` (the worse of the two best cases is 4.58:1). */
export const textOn = (hex: string): string => (contrastRatio(hex, '#ffffff') >= contrastRatio(hex, '#000000') ? '#ffffff' : '#000000');

/** The light backgrounds customers see text on: white cards, the survey pages' page (#f6f7fa) and the email's (#f3f4f7). */
export const LIGHT_BACKGROUNDS = ['#ffffff', '#f6f7fa', '#f3f4f7'];

/** `hex`, mixed with black step by step until it reads on every one of `backgrounds` at `ratio` (normal text: 4.5). */
export function readableOn(hex: string, backgrounds: string[] = LIGHT_BACKGROUNDS, ratio = 4.5): string {
  const rgb = channels(hex);
  for (let keep = 1; keep > 0; keep -= 0.05) {
    const candidate = toHex(rgb.map((c) => c * keep));
    if (backgrounds.every((bg) => contrastRatio(candidate, bg) >= ratio)) return candidate;
  }
  return '#000000';
}
