import path from 'node:path';
import { createFsArtifactStore, createS3ArtifactStore } from '../adapters/artifacts/index.js';
import { createEgressProxy, createLogEgressSink } from '../adapters/egress/index.js';
import { createEnvSecretStore, createVaultSecretStore } from '../adapters/secrets/index.js';
import type { AstraConfig, SecretEnvEntry } from '../config/index.js';
import { AstraError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ArtifactStore } from '../ports/artifacts.js';
import type { EgressProxy, EgressSink } from '../ports/egress.js';
import type { SecretStore } from '../ports/secrets.js';
import type { Clock } from '../time/clock.js';

/**
 * Picks the tool runtime's adapters from configuration, as backends.ts does for the kernel's:
 * - secrets: the environment (`ASTRA_SECRET_<NAME>[_FILE]`) or Vault KV v2 (`secretsBackend`);
 * - artifacts: the file system (`artifactsDir`, default `<dataDir>/artifacts`) or S3;
 * - egress: the node's proxy, sockets under `egressSocketDir` (default `<dataDir>/egress`), an
 *   optional loopback TCP listener, records to the sink given (a structured-log sink by default).
 * A backend chosen without what it needs is ASTRA_CONFIG_INVALID naming the missing setting.
 */
export interface ToolBackendDeps {
  readonly clock: Clock;
  readonly logger: Logger;
}

function missing(setting: string, backend: string): AstraError {
  return new AstraError('ASTRA_CONFIG_INVALID', `${setting} is required with ${backend}`, {
    details: { setting },
  });
}

export async function openSecretStore(
  config: AstraConfig,
  secretEnv: readonly SecretEnvEntry[],
  deps: ToolBackendDeps,
): Promise<SecretStore> {
  if (config.secretsBackend === 'env') return createEnvSecretStore({ entries: secretEnv });
  if (config.vaultAddr === undefined) throw missing('vaultAddr (VAULT_ADDR)', 'secretsBackend vault');
  if (config.vaultToken === undefined) throw missing('vaultToken (VAULT_TOKEN)', 'secretsBackend vault');
  return createVaultSecretStore({
    address: config.vaultAddr,
    token: config.vaultToken.reveal(),
    ...(config.vaultNamespace === undefined ? {} : { namespace: config.vaultNamespace }),
    mount: config.vaultMount,
    pathPrefix: config.vaultPathPrefix,
    clock: deps.clock,
    onRenewalError: (error) => deps.logger.warn({ err: error }, 'vault token renewal failed'),
  });
}

export async function openArtifactStore(config: AstraConfig, deps: ToolBackendDeps): Promise<ArtifactStore> {
  const common = {
    clock: deps.clock,
    retentionDays: config.artifactsRetentionDays,
    maxBytes: config.artifactsMaxBytes,
  };
  if (config.artifactsBackend === 'fs')
    return createFsArtifactStore({
      root: config.artifactsDir ?? path.join(config.dataDir, 'artifacts'),
      ...common,
    });
  if (config.artifactsS3Bucket === undefined) throw missing('artifactsS3Bucket', 'artifactsBackend s3');
  const keyId = config.artifactsS3AccessKeyId;
  const secret = config.artifactsS3SecretAccessKey;
  if ((keyId === undefined) !== (secret === undefined))
    throw missing('artifactsS3AccessKeyId with artifactsS3SecretAccessKey', 'either of them');
  return createS3ArtifactStore({
    bucket: config.artifactsS3Bucket,
    prefix: config.artifactsS3Prefix,
    region: config.artifactsS3Region,
    ...(config.artifactsS3Endpoint === undefined ? {} : { endpoint: config.artifactsS3Endpoint }),
    ...(keyId === undefined || secret === undefined
      ? {}
      : { credentials: { accessKeyId: keyId, secretAccessKey: secret.reveal() } }),
    ...common,
  });
}

export async function openEgressProxy(
  config: AstraConfig,
  deps: ToolBackendDeps & { readonly sink?: EgressSink },
): Promise<EgressProxy> {
  return createEgressProxy({
    socketDir: config.egressSocketDir ?? path.join(config.dataDir, 'egress'),
    sink: deps.sink ?? createLogEgressSink(deps.logger),
    clock: deps.clock,
    ...(config.egressTcpPort === undefined ? {} : { tcp: { port: config.egressTcpPort } }),
  });
}
