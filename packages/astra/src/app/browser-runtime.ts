import { existsSync } from 'node:fs';
import { createBrowserPool } from '../adapters/browser/index.js';
import type { AstraConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { browserRunners, type CallerOf, type ToolRunner } from '../services/tools/index.js';
import type { Clock } from '../time/clock.js';

/**
 * The browser role's part of a node's tool runtime: a pool of Chromium browsers (started on the
 * first browser call, not here) and the runners of the browser tools over it. A node without the
 * role has no browser runners, so its executor answers a browser tool call ASTRA_TOOL_UNAVAILABLE
 * (docs/browser.md: what that means when nodes differ).
 */
export interface BrowserRuntime {
  readonly runners: ReadonlyMap<string, ToolRunner>;
  close(): Promise<void>;
}

/** Whether this machine has the Chromium the browser role would drive (`astra up` asks). */
export function browserPresent(config: AstraConfig): boolean {
  return existsSync(config.browserExecutable);
}

export function openBrowserRuntime(
  config: AstraConfig,
  deps: { readonly clock: Clock; readonly logger: Logger; readonly callerOf: CallerOf },
): BrowserRuntime {
  const pool = createBrowserPool({
    clock: deps.clock,
    executablePath: config.browserExecutable,
    size: config.browserPoolSize,
    actionTimeoutMs: config.browserActionTimeoutMs,
    onError: (error, context) => deps.logger.warn({ err: error }, context),
  });
  return { runners: browserRunners({ pool, callerOf: deps.callerOf }), close: () => pool.close() };
}
