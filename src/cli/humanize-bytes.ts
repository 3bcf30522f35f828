// Byte sizes as etcdctl and etcdutl print them (SI units, one decimal below 10).

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
const BASE = 1000;

export function humanizeBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const exponent = Math.min(Math.floor(Math.log(bytes) / Math.log(BASE)), UNITS.length - 1);
  const value = Math.floor((bytes / BASE ** exponent) * 10 + 0.5) / 10;
  const unit = UNITS[exponent] ?? 'B';
  return value < 10 ? `${value.toFixed(1)} ${unit}` : `${value.toFixed(0)} ${unit}`;
}
