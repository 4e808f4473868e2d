import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFsArtifactStore } from '../../src/adapters/artifacts/index.js';
import {
  createEgressProxy,
  createMemoryEgressSink,
  type MemoryEgressSink,
} from '../../src/adapters/egress/index.js';
import { createEnvSecretStore } from '../../src/adapters/secrets/index.js';
import type { SecretEnvEntry } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import type { ToolRuntime } from '../../src/services/tools/index.js';
import { type Clock, systemClock } from '../../src/time/clock.js';

/**
 * A tool runtime for tests, as a node opens one: artifacts on the file system, an egress proxy
 * whose records stay in memory (`egressLog`), secrets from the entries given. Everything lives under
 * one temporary directory, removed by `dispose`.
 */
export interface TestToolRuntime {
  readonly runtime: ToolRuntime;
  readonly egressLog: MemoryEgressSink;
  readonly dir: string;
  dispose(): Promise<void>;
}

export async function openTestToolRuntime(
  options: {
    readonly clock?: Clock;
    readonly secrets?: readonly SecretEnvEntry[];
    /** Also listen on loopback TCP (any free port), as a node with the browser role does. */
    readonly egressTcp?: boolean;
  } = {},
): Promise<TestToolRuntime> {
  const clock = options.clock ?? systemClock;
  // Short: the proxy's Unix socket paths must fit in 108 bytes.
  const dir = await mkdtemp(path.join(tmpdir(), 'astra-rt-'));
  const egressLog = createMemoryEgressSink();
  const artifacts = await createFsArtifactStore({ root: path.join(dir, 'artifacts'), clock });
  const egress = await createEgressProxy({
    socketDir: path.join(dir, 'egress'),
    sink: egressLog,
    clock,
    ...(options.egressTcp === true ? { tcp: { port: 0 } } : {}),
  });
  const secrets = createEnvSecretStore({ entries: options.secrets ?? [] });
  const logger = createLogger({ level: 'silent' });
  return {
    runtime: { artifacts, egress, secrets, clock, logger },
    egressLog,
    dir,
    async dispose() {
      await egress.close();
      await artifacts.close();
      await secrets.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
