// Versions this server reports. Clients gate features on the etcd version, so we
// report the etcd release whose API we implement, and name ourselves beside it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// Sources run from src/ (tsx) and from dist/src/ (built), so look both ways up.
function readPackageJson(): unknown {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      return require(candidate);
    } catch {
      continue;
    }
  }
  return undefined;
}
const packageJson = readPackageJson();

function packageVersion(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'version' in value) {
    const version = (value as { version: unknown }).version;
    if (typeof version === 'string') return version;
  }
  return '0.0.0';
}

/** The etcd server release whose behaviour and API we match. */
export const ETCD_COMPAT_VERSION = '3.5.17';
/** The cluster version: major.minor of the compatible release. */
export const ETCD_CLUSTER_VERSION = '3.5.0';
/** The API version etcdctl shows. */
export const ETCD_API_VERSION = '3.5';
export const ETCD_TS_VERSION = packageVersion(packageJson);
