import type { LlmCall, LlmProvider } from '../../src/ports/llm.js';
import {
  createLlmRouter,
  type LlmRouter,
  type LlmRouterOptions,
  type ModelSpec,
} from '../../src/services/llm/index.js';
import { ManualClock } from '../../src/time/clock.js';

/** What the router tests share: a call for an org, and a router over given providers and models. */
export const scope = { orgId: 'org-1', agentId: 'agent-1', goalId: null, taskId: null, purpose: 'llm' };

export function call(overrides: Partial<LlmCall> = {}): LlmCall {
  return { scope, messages: [{ role: 'user', content: 'Say hello.' }], ...overrides };
}

export function routerOver(
  providers: readonly LlmProvider[],
  models: readonly ModelSpec[],
  overrides: Partial<LlmRouterOptions> = {},
): { router: LlmRouter; clock: ManualClock } {
  const clock = overrides.clock instanceof ManualClock ? overrides.clock : new ManualClock();
  const router = createLlmRouter({
    providers,
    models,
    clock,
    rules: [{ use: models.map((model) => model.ref) }],
    ...overrides,
  });
  return { router, clock };
}

/** Resolves once `clock` has `count` sleepers (the router parked on a retry wait). */
export async function sleeping(clock: ManualClock, count = 1): Promise<void> {
  while (clock.pendingSleeps < count) await new Promise((resolve) => setImmediate(resolve));
}
