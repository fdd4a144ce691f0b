import type { Config } from '../config.ts';
import type { Settings } from '../settings/service.ts';

/** Who mail comes from: the Settings page's sender, else MAIL_FROM. */

/** The name people know the sender by: the settings' sender name, else the name in MAIL_FROM. */
export function senderName(settings: Pick<Settings, 'sender_name'>, config: Pick<Config, 'mailFrom' | 'baseUrl'>): string {
  if (settings.sender_name.trim()) return settings.sender_name.trim();
  const fromName = /^\s*"?([^"<]*?)"?\s*</.exec(config.mailFrom)?.[1]?.trim();
  return fromName || new URL(config.baseUrl).hostname;
}

export function fromAddress(settings: Pick<Settings, 'sender_name' | 'sender_address'>, config: Pick<Config, 'mailFrom'>): string {
  const address = settings.sender_address.trim();
  if (!address) return config.mailFrom;
  const name = settings.sender_name.replace(/["\\\r\n]/g, '').trim();
  return name ? `"${name}" <${address}>` : address;
}
