export { debugOutputRequested } from './debug-output.js';
export {
  type ConfigInput,
  type ConfigSource,
  describeConfig,
  type LoadedConfig,
  loadConfig,
} from './load.js';
export { Secret } from './secret.js';
export { collectSecretEnv, SECRET_ENV_PREFIX, type SecretEnvEntry } from './secret-env.js';
export {
  type AstraConfig,
  ENV_NAMES,
  type EnvName,
  SETTINGS,
  type SecretFileNames,
  type SettingKey,
  secretFileNames,
} from './settings.js';
