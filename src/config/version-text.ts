// The --version text: etcd's shape (tools read its first line) but honest that this is
// etcd-ts running on Node.js rather than etcd built with Go.
import { ETCD_COMPAT_VERSION, ETCD_TS_VERSION } from '../version.js';

/** What the runtime reports; passed in so the text is testable. */
export interface RuntimeInfo {
  readonly nodeVersion: string;
  readonly platform: string;
  readonly arch: string;
}

export function currentRuntime(): RuntimeInfo {
  return { nodeVersion: process.version, platform: process.platform, arch: process.arch };
}

export function versionText(runtime: RuntimeInfo = currentRuntime()): string {
  return [
    `etcd Version: ${ETCD_COMPAT_VERSION}`,
    `etcd-ts Version: ${ETCD_TS_VERSION}`,
    'Git SHA: Not provided',
    `Node Version: ${runtime.nodeVersion}`,
    `Node OS/Arch: ${runtime.platform}/${runtime.arch}`,
    '',
  ].join('\n');
}
