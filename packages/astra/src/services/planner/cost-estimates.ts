import type { JsonValue } from '../../kernel/index.js';

/**
 * What a planned plan is expected to cost, before it runs, so a plan its goal cannot afford is sent
 * back to the model instead of failing halfway. Estimates per task type: the tokens of one LLM task
 * of that type (input and output), priced at the standard tier's list price below. Tool tasks and
 * the kernel's own types cost no tokens. A task's payload that caps its answer
 * (`max_tokens`, as the LLM task types take it) is estimated at that cap. These are orders of magnitude, not bills: the
 * router reserves and settles the real cost of every call (docs/planner.md).
 */
export interface TaskCostEstimate {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export const PLAN_COST_ESTIMATES: Readonly<Record<string, TaskCostEstimate>> = {
  llm: { inputTokens: 2_000, outputTokens: 1_000 },
  summarize: { inputTokens: 4_000, outputTokens: 500 },
  code_generate: { inputTokens: 4_000, outputTokens: 4_000 },
  plan: { inputTokens: 6_000, outputTokens: 2_000 },
};

/** Dollars per million tokens the estimates are priced at (a standard-tier model's list price). */
export const ESTIMATE_PRICE = { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10 } as const;

export interface PlanCostEstimate {
  readonly tokens: number;
  readonly usd: number;
}

function taskEstimate(
  task: { readonly type: string; readonly payload?: JsonValue | unknown },
  table: Readonly<Record<string, TaskCostEstimate>>,
): TaskCostEstimate {
  const base = table[task.type];
  if (base === undefined) return { inputTokens: 0, outputTokens: 0 };
  const payload = task.payload;
  const cap =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? ((payload as Record<string, unknown>).max_tokens ??
        (payload as Record<string, unknown>).max_output_tokens)
      : undefined;
  return typeof cap === 'number' && Number.isFinite(cap) && cap > 0 ? { ...base, outputTokens: cap } : base;
}

export function estimatePlanCost(
  tasks: readonly { readonly type: string; readonly payload?: unknown }[],
  table: Readonly<Record<string, TaskCostEstimate>> = PLAN_COST_ESTIMATES,
): PlanCostEstimate {
  let input = 0;
  let output = 0;
  for (const task of tasks) {
    const estimate = taskEstimate(task, table);
    input += estimate.inputTokens;
    output += estimate.outputTokens;
  }
  const usd = (input * ESTIMATE_PRICE.inputPerMillionUsd + output * ESTIMATE_PRICE.outputPerMillionUsd) / 1e6;
  return { tokens: input + output, usd: Math.round(usd * 1e6) / 1e6 };
}
