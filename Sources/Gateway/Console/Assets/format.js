// Small helpers every console module uses.

export const $ = (id) => document.getElementById(id);

export function formatDuration(seconds) {
  let rest = Math.floor(seconds);
  const days = Math.floor(rest / 86400); rest %= 86400;
  const hours = Math.floor(rest / 3600); rest %= 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest % 60;
  if (days > 0) return `${days}d ${hours}h ${minutes}m`;
  if (hours > 0) return `${hours}h ${minutes}m ${secs}s`;
  return minutes > 0 ? `${minutes}m ${secs}s` : `${secs}s`;
}

export function formatNumber(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (typeof value !== 'number') return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 2 : digits });
}
