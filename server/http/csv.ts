/**
 * CSV cells for spreadsheets: RFC 4180 quoting, and text that a spreadsheet
 * would run as a formula (= + - @, tab, carriage return first) is prefixed
 * with a single quote. Numbers are written as they are.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (cells: unknown[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/** Excel reads UTF-8 (umlauts in comments) only with a byte order mark. */
export const CSV_BOM = '\uFEFF';
