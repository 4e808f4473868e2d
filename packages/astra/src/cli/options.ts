import { type Command, Option } from 'commander';
import { type ConfigInput, SETTINGS, type SettingKey, secretFileNames } from '../config/index.js';

/**
 * CLI flags come from the settings table, so every setting has exactly one flag, documented once.
 * `keys` picks the settings a command accepts; every command also takes --config. A secret setting
 * also gets its `--<flag>-file` form, and its help says why to prefer that.
 */
export function addSettingOptions(command: Command, keys: readonly SettingKey[]): Command {
  command.addOption(new Option('--config <file>', 'JSON config file (also ASTRA_CONFIG)'));
  for (const key of keys) {
    const setting = SETTINGS[key];
    const fallback = 'default' in setting ? ` (default ${String(setting.default)})` : '';
    const files = secretFileNames(key);
    const warning =
      files === undefined
        ? ''
        : ` Visible to every local user in \`ps\`: prefer --${files.flag}, ${files.env} or ${setting.env}.`;
    command.addOption(
      new Option(`--${setting.flag} <value>`, `${setting.description} [${setting.env}]${fallback}${warning}`),
    );
    if (files !== undefined)
      command.addOption(
        new Option(
          `--${files.flag} <path>`,
          `Read ${key} from this file (one trailing newline is dropped) [${files.env}]`,
        ),
      );
  }
  return command;
}

/** Turns parsed commander options back into the config loader's input. */
export function configInput(
  options: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): ConfigInput {
  const flags: Partial<Record<SettingKey, unknown>> = {};
  const secretFiles: Partial<Record<SettingKey, string>> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const value = options[camel(SETTINGS[key].flag)];
    if (value !== undefined) flags[key] = value;
    const files = secretFileNames(key);
    const path = files === undefined ? undefined : options[camel(files.flag)];
    if (typeof path === 'string') secretFiles[key] = path;
  }
  const file = options.config;
  return typeof file === 'string' ? { flags, secretFiles, env, file } : { flags, secretFiles, env };
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Settings that choose and tune backends, shared by every command that opens them. */
export const BACKEND_SETTINGS: readonly SettingKey[] = [
  'dataDir',
  'postgresUrl',
  'postgresMaxConnections',
  'redisUrl',
  'memcached',
  'logLevel',
];

/** The tool runtime's backends: secrets, artifacts, egress (app/tool-backends.ts). */
export const TOOL_RUNTIME_SETTINGS: readonly SettingKey[] = [
  'secretsBackend',
  'vaultAddr',
  'vaultToken',
  'vaultNamespace',
  'vaultMount',
  'vaultPathPrefix',
  'artifactsBackend',
  'artifactsDir',
  'artifactsRetentionDays',
  'artifactsMaxBytes',
  'artifactsS3Bucket',
  'artifactsS3Prefix',
  'artifactsS3Endpoint',
  'artifactsS3Region',
  'artifactsS3AccessKeyId',
  'artifactsS3SecretAccessKey',
  'egressSocketDir',
  'egressTcpPort',
  'browserExecutable',
  'browserPoolSize',
  'browserActionTimeoutMs',
];

/** Where LLM providers come from (app/llm-providers.ts). */
const LLM_PROVIDER_SETTINGS: readonly SettingKey[] = [
  'llmProviders',
  'openaiApiKey',
  'openaiBaseUrl',
  'anthropicApiKey',
  'anthropicBaseUrl',
  'ollamaHost',
  'llmDetectOllama',
  'llmDetectTimeoutMs',
];

export const SERVER_SETTINGS: readonly SettingKey[] = [
  'host',
  'port',
  ...BACKEND_SETTINGS,
  'taskShardCount',
  'busMaxDeliveries',
  'busMinIdleMs',
  'busMaxLen',
  'cacheTtlMs',
  'cacheLocalMaxEntries',
  'cacheLocalTtlMs',
  'shutdownTimeoutMs',
  'adminToken',
  'adminEmail',
  'adminPassword',
  'corsOrigins',
  'headersTimeoutMs',
  'requestTimeoutMs',
  'keepAliveTimeoutMs',
  'executorConcurrency',
  'executorShards',
  'workerHeartbeatMs',
  'workerDeadlineMs',
  'taskLeaseMs',
  'retryBaseMs',
  'retryMaxMs',
  'schedulerSweepMs',
  'republishAfterMs',
  'mailboxCapacity',
  'admissionConcurrency',
  'admissionMaxWaitMs',
  ...TOOL_RUNTIME_SETTINGS,
  ...LLM_PROVIDER_SETTINGS,
];
