import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { migrate } from '../adapters/sql/migrate.js';
import type { AstraConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { createGateway } from '../services/gateway/server.js';
import type { Clock } from '../time/clock.js';
import { type Backends, openBackends, type RunMode } from './backends.js';

export interface RunningNode {
  readonly url: string;
  readonly mode: RunMode;
  readonly backends: Backends;
  /** Stops accepting requests, lets in-flight ones finish (bounded by shutdownTimeoutMs), closes backends. */
  stop(): Promise<void>;
}

export interface NodeDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called with each migration file as it is applied, for progress output. */
  readonly onMigration?: (name: string) => void;
}

export const ASTRA_VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

/** Starts every role of Astra in this process: backends, migrations, the HTTP gateway. */
export async function startNode(config: AstraConfig, deps: NodeDeps): Promise<RunningNode> {
  const backends = await openBackends(config, deps);
  let gateway: FastifyInstance | undefined;
  try {
    await migrate(backends.store, deps.onMigration === undefined ? {} : { onProgress: deps.onMigration });
    gateway = await createGateway({
      logger: deps.logger,
      readiness: backends.readiness,
      info: { mode: backends.mode, version: ASTRA_VERSION },
    });
    const address = await gateway.listen({ host: config.host, port: config.port });
    const server = gateway;
    return {
      url: address,
      mode: backends.mode,
      backends,
      stop: async () => {
        const timer = setTimeout(() => server.server.closeAllConnections(), config.shutdownTimeoutMs);
        try {
          await server.close();
        } finally {
          clearTimeout(timer);
          await backends.close();
        }
      },
    };
  } catch (error) {
    await gateway?.close();
    await backends.close();
    throw error;
  }
}
