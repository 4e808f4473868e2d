import { readFileSync } from 'node:fs';
import { AstraError } from '../errors/index.js';
import { Secret } from './secret.js';
import { collectSecretEnv, type SecretEnvEntry } from './secret-env.js';
import { readSecretFile } from './secret-file.js';
import {
  type AstraConfig,
  SETTINGS,
  type SettingKey,
  type SettingSpec,
  secretFileNames,
} from './settings.js';

export type ConfigSource = 'flag' | 'file' | 'env' | 'default';

export interface ConfigInput {
  /** Values from command-line flags, keyed by setting key (already camelCased by the CLI). */
  readonly flags?: Readonly<Partial<Record<SettingKey, unknown>>>;
  /** Paths from the `--<flag>-file` flags of secret settings, keyed by setting key. */
  readonly secretFiles?: Readonly<Partial<Record<SettingKey, string>>>;
  /** Path of a JSON config file whose keys are setting keys; ASTRA_CONFIG names one too. */
  readonly file?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface LoadedConfig {
  readonly config: AstraConfig;
  /** Where each present setting came from, for `astra config`. */
  readonly sources: Readonly<Partial<Record<SettingKey, ConfigSource>>>;
  /** The tool-run secrets the environment gives (`ASTRA_SECRET_<NAME>[_FILE]`; secret-env.ts). */
  readonly secretEnv: readonly SecretEnvEntry[];
}

const KEYS = Object.keys(SETTINGS) as SettingKey[];

/**
 * Parses and validates configuration once, at the process edge: flags > file > env > defaults.
 * A secret setting may come from a file at each level instead (`--<flag>-file`, `<key>File`,
 * `<ENV>_FILE`; settings.ts), but not from both forms at one level.
 * Every failure is ASTRA_CONFIG_INVALID naming the setting and where its bad value came from;
 * secret values never appear in the message.
 */
export function loadConfig(input: ConfigInput = {}): LoadedConfig {
  const env = input.env ?? {};
  const filePath = input.file ?? env.ASTRA_CONFIG;
  const file = filePath === undefined || filePath === '' ? {} : readConfigFile(filePath);
  const values: Record<string, unknown> = {};
  const sources: Partial<Record<SettingKey, ConfigSource>> = {};

  for (const key of KEYS) {
    const setting: SettingSpec = SETTINGS[key];
    const envName = [setting.env, ...(setting.envAliases ?? [])].find(
      (name) => emptyToUndefined(env[name]) !== undefined,
    );
    const names = secretFileNames(key);
    const levels: [ConfigSource, Given, Given | undefined][] = [
      [
        'flag',
        [input.flags?.[key], `--${setting.flag}`],
        names && [input.secretFiles?.[key], `--${names.flag}`],
      ],
      ['file', [file[key], 'file'], names && [file[names.key], `${names.key} in ${filePath}`]],
      [
        'env',
        [envName === undefined ? undefined : env[envName], envName ?? setting.env],
        names && [emptyToUndefined(env[names.env]), names.env],
      ],
      ['default', ['default' in setting ? setting.default : undefined, 'default'], undefined],
    ];
    // The first level with a value wins; lower levels (and their files) are never read.
    let found: { source: ConfigSource; value: unknown; where: string } | undefined;
    for (const [source, direct, fromFile] of levels) {
      const chosen = choose(key, direct, fromFile);
      if (chosen.value === undefined) continue;
      found = { source, ...chosen };
      break;
    }
    if (found === undefined) continue;
    const { source, value: raw, where } = found;
    const parsed = setting.schema.safeParse(raw);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((issue) => issue.message).join('; ');
      throw new AstraError('ASTRA_CONFIG_INVALID', `invalid ${key} (from ${where}): ${reason}`, {
        details: { setting: key, source, env: envName ?? setting.env },
      });
    }
    values[key] = 'secret' in setting ? new Secret(String(parsed.data)) : parsed.data;
    sources[key] = source;
  }
  return { config: Object.freeze(values) as AstraConfig, sources, secretEnv: collectSecretEnv(env) };
}

/** A value as given, and where it was given (a flag, a variable, the config file). */
type Given = readonly [value: unknown, where: string];

/** A level's value: given directly or read from the file its file form names, never both. */
function choose(
  key: SettingKey,
  direct: Given,
  fromFile: Given | undefined,
): { value: unknown; where: string } {
  if (fromFile === undefined || fromFile[0] === undefined) return { value: direct[0], where: direct[1] };
  if (direct[0] !== undefined)
    throw new AstraError('ASTRA_CONFIG_INVALID', `give ${direct[1]} or ${fromFile[1]} for ${key}, not both`, {
      details: { setting: key },
    });
  return { value: readSecretFile(key, fromFile[0], fromFile[1]), where: fromFile[1] };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function readConfigFile(path: string): Partial<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      `cannot read config file ${path}: ${(cause as Error).message}`,
      {
        details: { file: path },
        cause,
      },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AstraError('ASTRA_CONFIG_INVALID', `config file ${path} must hold a JSON object`, {
      details: { file: path },
    });
  }
  const fileKeys = new Set(KEYS.flatMap((key) => secretFileNames(key)?.key ?? []));
  const unknownKeys = Object.keys(parsed).filter(
    (key) => !Object.hasOwn(SETTINGS, key) && !fileKeys.has(key),
  );
  if (unknownKeys.length > 0) {
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      `config file ${path} has unknown keys: ${unknownKeys.join(', ')}`,
      {
        details: { file: path, keys: unknownKeys.join(',') },
      },
    );
  }
  return parsed as Partial<Record<string, unknown>>;
}

/** The configuration as it may be shown: secrets print as [redacted]. */
export function describeConfig(
  loaded: LoadedConfig,
): Record<string, { value: unknown; source: ConfigSource }> {
  const out: Record<string, { value: unknown; source: ConfigSource }> = {};
  for (const key of KEYS) {
    const source = loaded.sources[key];
    if (source === undefined) continue;
    const value: unknown = loaded.config[key];
    out[key] = { value: value instanceof Secret ? value.toString() : value, source };
  }
  return out;
}
