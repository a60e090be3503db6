/** @module A short, human name for a signed-in device ("Chrome 156 on Linux") from its user agent, via bowser. */
import Bowser from 'bowser';

const MAX_RAW = 80;

/** "Firefox 128 on Windows 10"; the raw user agent (shortened) when it names no browser; "Unknown device" without one. */
export function deviceLabel(userAgent: string | null | undefined): string {
  const raw = (userAgent ?? '').trim();
  if (!raw) return 'Unknown device';
  const { browser, os } = Bowser.parse(raw);
  if (!browser.name) return raw.length > MAX_RAW ? `${raw.slice(0, MAX_RAW - 1)}…` : raw;
  const major = browser.version?.split('.')[0];
  const system = os.name ? ` on ${os.name}${os.versionName ? ` ${os.versionName}` : os.version ? ` ${os.version}` : ''}` : '';
  return `${browser.name}${major ? ` ${major}` : ''}${system}`;
}
