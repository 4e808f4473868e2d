import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeConfig, ENV_NAMES, loadConfig, Secret } from '../../src/config/index.js';
import { isAstraError } from '../../src/errors/index.js';
import { markdownTableRows } from '../support/markdown-table.js';

function configFile(content: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'astra-config-'));
  const file = path.join(dir, 'astra.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('loadConfig', () => {
  it('applies defaults when nothing is given', () => {
    const { config, sources } = loadConfig({ env: {} });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.busMaxDeliveries).toBe(3);
    expect(config.busMinIdleMs).toBe(30_000);
    expect(config.postgresUrl).toBeUndefined();
    expect(sources.port).toBe('default');
  });

  it('ranks flags over file over env over defaults', () => {
    const file = configFile({ port: 7000, host: '0.0.0.0' });
    const env = { ASTRA_PORT: '6000', ASTRA_HOST: '10.0.0.1', ASTRA_DATA_DIR: '/env/dir' };
    const { config, sources } = loadConfig({ env, file, flags: { port: 9000 } });
    expect(config.port).toBe(9000);
    expect(sources.port).toBe('flag');
    expect(config.host).toBe('0.0.0.0');
    expect(sources.host).toBe('file');
    expect(config.dataDir).toBe('/env/dir');
    expect(sources.dataDir).toBe('env');
  });

  it('reads the config file named by ASTRA_CONFIG', () => {
    const file = configFile({ taskShardCount: 16 });
    expect(loadConfig({ env: { ASTRA_CONFIG: file } }).config.taskShardCount).toBe(16);
  });

  it('reads ASTRA_TASK_SHARD_COUNT, keeps TASK_SHARD_COUNT as its alias, and lists every env name', () => {
    expect(loadConfig({ env: { ASTRA_TASK_SHARD_COUNT: '12' } }).config.taskShardCount).toBe(12);
    expect(loadConfig({ env: { TASK_SHARD_COUNT: '4' } }).config.taskShardCount).toBe(4);
    const both = loadConfig({ env: { ASTRA_TASK_SHARD_COUNT: '12', TASK_SHARD_COUNT: '4' } });
    expect(both.config.taskShardCount).toBe(12);
    const bad = thrown(() => loadConfig({ env: { TASK_SHARD_COUNT: 'many' } }));
    expect((bad as Error).message).toContain('from TASK_SHARD_COUNT');
    expect(ENV_NAMES).toContain('ASTRA_TASK_SHARD_COUNT');
    expect(ENV_NAMES).toContain('TASK_SHARD_COUNT');
    expect(ENV_NAMES).toContain('ASTRA_POSTGRES_URL');
    expect(new Set(ENV_NAMES).size).toBe(ENV_NAMES.length);
  });

  it('parses an executor shard list and refuses a malformed one', () => {
    expect(loadConfig({ env: { ASTRA_EXECUTOR_SHARDS: '0,2,2' } }).config.executorShards).toEqual([0, 2]);
    expect(loadConfig({ env: {} }).config.executorShards).toBeUndefined();
    const error = (() => {
      try {
        loadConfig({ env: { ASTRA_EXECUTOR_SHARDS: 'one,two' } });
      } catch (caught) {
        return caught;
      }
    })();
    expect(isAstraError(error, 'ASTRA_CONFIG_INVALID')).toBe(true);
  });

  it('treats an empty env value as unset', () => {
    expect(loadConfig({ env: { ASTRA_PORT: '' } }).config.port).toBe(8080);
  });

  it.each([
    [{ ASTRA_PORT: 'eighty' }, 'port', 'ASTRA_PORT'],
    [{ ASTRA_PORT: '70000' }, 'port', 'ASTRA_PORT'],
    [{ ASTRA_POSTGRES_URL: 'mysql://x' }, 'postgresUrl', 'ASTRA_POSTGRES_URL'],
    [{ ASTRA_MEMCACHED: 'no-port' }, 'memcached', 'ASTRA_MEMCACHED'],
    [{ ASTRA_LOG_LEVEL: 'loud' }, 'logLevel', 'ASTRA_LOG_LEVEL'],
  ])('rejects %o with ASTRA_CONFIG_INVALID naming the setting and its source', (env, setting, where) => {
    const error = thrown(() => loadConfig({ env }));
    expect(isAstraError(error, 'ASTRA_CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain(setting);
    expect((error as Error).message).toContain(where);
  });

  it('rejects unknown keys and malformed files', () => {
    expect(
      isAstraError(
        thrown(() => loadConfig({ env: {}, file: configFile({ prot: 1 }) })),
        'ASTRA_CONFIG_INVALID',
      ),
    ).toBe(true);
    expect(
      isAstraError(
        thrown(() => loadConfig({ env: {}, file: configFile('{nope') })),
        'ASTRA_CONFIG_INVALID',
      ),
    ).toBe(true);
    expect(
      isAstraError(
        thrown(() => loadConfig({ env: {}, file: configFile([1]) })),
        'ASTRA_CONFIG_INVALID',
      ),
    ).toBe(true);
    expect(
      isAstraError(
        thrown(() => loadConfig({ env: {}, file: '/nonexistent/astra.json' })),
        'ASTRA_CONFIG_INVALID',
      ),
    ).toBe(true);
  });

  it('wraps secrets so they never print, and never echoes a bad secret in errors', () => {
    const url = 'postgres://astra:hunter2@db.internal:5432/astra';
    const loaded = loadConfig({ env: { ASTRA_POSTGRES_URL: url } });
    const secret = loaded.config.postgresUrl;
    expect(secret).toBeInstanceOf(Secret);
    expect(secret?.reveal()).toBe(url);
    const shown = [
      String(secret),
      JSON.stringify(loaded.config),
      inspect(loaded.config),
      JSON.stringify(describeConfig(loaded)),
    ];
    for (const text of shown) expect(text).not.toContain('hunter2');
    const error = thrown(() => loadConfig({ env: { ASTRA_POSTGRES_URL: 'mysql://u:hunter2@x' } }));
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('docs/configuration.md', () => {
  it('documents every setting with its flag and environment variable', async () => {
    const { readFileSync } = await import('node:fs');
    const docs = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
    const { SETTINGS } = await import('../../src/config/index.js');
    for (const [key, setting] of Object.entries(SETTINGS)) {
      const row = markdownTableRows(docs).find((cells) => cells[0] === `\`${key}\``);
      expect(row?.slice(1, 3), key).toEqual([`\`--${setting.flag}\``, `\`${setting.env}\``]);
    }
  });
});
