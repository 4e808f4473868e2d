import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { type NodeDeps, type RunningNode, startNode } from '../../src/app/node.js';
import type { ConfigInput } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { testNodeConfig } from '../support/node-config.js';
import { ScrapeHistory } from './alerts.js';

/**
 * A node for a chaos test: in this process, silent, `/metrics` on a port of its own, Ollama
 * detection off, its own data dir (removed by `stop`), an admin token, an SDK client when it
 * runs the gateway, and a scrape history of its `/metrics`.
 */
export interface ChaosNode {
  readonly node: RunningNode;
  readonly dataDir: string;
  readonly adminToken: string;
  /** The gateway's client; throws when the node runs no gateway. */
  readonly client: AstraClient;
  readonly history: ScrapeHistory;
  stop(): Promise<void>;
}

export async function startChaosNode(options: {
  readonly flags?: NonNullable<ConfigInput['flags']>;
  readonly roles: NonNullable<NodeDeps['roles']>;
  readonly adminToken?: string;
  readonly secretEnv?: NodeDeps['secretEnv'];
}): Promise<ChaosNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-chaos-'));
  const adminToken = options.adminToken ?? `chaos-${randomBytes(18).toString('hex')}`;
  const config = testNodeConfig({
    metricsPort: 0,
    llmDetectOllama: 'false',
    ...options.flags,
    dataDir,
    adminToken,
  });
  let node: RunningNode;
  try {
    node = await startNode(config, {
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      adminToken,
      roles: options.roles,
      ...(options.secretEnv === undefined ? {} : { secretEnv: options.secretEnv }),
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const client = node.url === null ? undefined : new AstraClient({ baseUrl: node.url, token: adminToken });
  return {
    node,
    dataDir,
    adminToken,
    get client() {
      if (client === undefined) throw new Error('this node runs no gateway');
      return client;
    },
    history: new ScrapeHistory(node.metricsUrl as string),
    stop: async () => {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
