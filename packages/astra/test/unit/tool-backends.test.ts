import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openArtifactStore, openEgressProxy, openSecretStore } from '../../src/app/tool-backends.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { expectCode } from '../conformance/cache.suite.js';
import { startFakeVault } from '../secrets/vault-server.js';
import { startPrivateS3 } from '../support/private-s3.js';

const dir = mkdtempSync(path.join(tmpdir(), 'astra-tool-backends-'));
const deps = { clock: systemClock, logger: createLogger({ level: 'silent' }) };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configured(env: Record<string, string>) {
  return loadConfig({ env: { ASTRA_DATA_DIR: dir, ...env } });
}

describe('tool runtime backends from configuration', () => {
  it('secrets: the environment by default, Vault with VAULT_ADDR and VAULT_TOKEN', async () => {
    const fromEnv = configured({ ASTRA_SECRET_API_KEY: 'k-1' });
    const envStore = await openSecretStore(fromEnv.config, fromEnv.secretEnv, deps);
    expect((await envStore.get('api_key')).value).toBe('k-1');

    const vault = await startFakeVault({ namespace: 'ns', mount: 'kv' });
    try {
      vault.tokens.set('s.cfg', { ttl: 0, renewable: false });
      vault.kv.set('kv/tools/api_key', [{ data: { value: 'from-vault' } }]);
      const loaded = configured({
        ASTRA_SECRETS_BACKEND: 'vault',
        VAULT_ADDR: vault.address,
        VAULT_TOKEN: 's.cfg',
        VAULT_NAMESPACE: 'ns',
        ASTRA_VAULT_MOUNT: 'kv',
        ASTRA_VAULT_PATH_PREFIX: 'tools',
      });
      const store = await openSecretStore(loaded.config, loaded.secretEnv, deps);
      expect((await store.get('api_key')).value).toBe('from-vault');
      await store.close();
    } finally {
      await vault.close();
    }
    const incomplete = configured({ ASTRA_SECRETS_BACKEND: 'vault', VAULT_ADDR: 'http://127.0.0.1:1' });
    await expectCode(openSecretStore(incomplete.config, [], deps), 'ASTRA_CONFIG_INVALID');
  });

  it('artifacts: <dataDir>/artifacts by default, S3 with a bucket', async () => {
    const fs = await openArtifactStore(configured({ ASTRA_ARTIFACTS_RETENTION_DAYS: '2' }).config, deps);
    const meta = await fs.put('x');
    expect(existsSync(path.join(dir, 'artifacts', 'blobs', meta.sha256.slice(0, 2), meta.sha256))).toBe(true);
    expect(Date.parse(meta.expiresAt ?? '') - Date.parse(meta.createdAt)).toBe(2 * 24 * 60 * 60 * 1000);

    const s3 = await startPrivateS3();
    try {
      const bucket = await s3.createBucket();
      const store = await openArtifactStore(
        configured({
          ASTRA_ARTIFACTS_BACKEND: 's3',
          ASTRA_ARTIFACTS_S3_BUCKET: bucket,
          ASTRA_ARTIFACTS_S3_ENDPOINT: s3.endpoint,
          AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        }).config,
        deps,
      );
      expect((await store.put('y')).uri).toMatch(/^astra:\/\/artifacts\/[0-9a-f]{64}$/);
      await store.close();
    } finally {
      await s3.stop();
    }
    await expectCode(
      openArtifactStore(configured({ ASTRA_ARTIFACTS_BACKEND: 's3' }).config, deps),
      'ASTRA_CONFIG_INVALID',
    );
  });

  it('egress: session sockets under <dataDir>/egress, a TCP listener only when a port is given', async () => {
    const proxy = await openEgressProxy(configured({}).config, deps);
    const session = await proxy.open({
      identity: { orgId: 'o', agentId: 'a', taskId: 't', tool: 'x' },
      grants: { tool: [] },
    });
    expect(path.dirname(session.socketPath)).toBe(path.join(dir, 'egress'));
    expect(session.proxyUrl).toBeNull();
    await proxy.close();
    const withTcp = await openEgressProxy(configured({ ASTRA_EGRESS_TCP_PORT: '0' }).config, deps);
    expect(
      (
        await withTcp.open({
          identity: { orgId: 'o', agentId: 'a', taskId: 't', tool: 'x' },
          grants: { tool: [] },
        })
      ).proxyUrl,
    ).toMatch(/^http:\/\/.+@127\.0\.0\.1:\d+$/);
    await withTcp.close();
  });
});
