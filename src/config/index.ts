// Public surface of the configuration module: parse etcd's command line, environment and
// config file into a ServerConfig, and check a new member's --initial-cluster at bootstrap.
export { parseServerArgs, USAGE_ERROR_EXIT_CODE, CONFIG_ERROR_EXIT_CODE } from './parse-server-args.js';
export { verifyBootstrapCluster } from './verify-bootstrap-cluster.js';
export { FLAG_DEFINITIONS, flagToEnvName, type FlagDefinition, type FlagGroup } from './flag-definitions.js';
export { helpText, USAGE_TEXT } from './help-text.js';
export { versionText } from './version-text.js';
export * from './server-config.js';
