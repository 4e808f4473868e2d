import { isAstraError } from '../../errors/index.js';
import { type ClaimedTask, TaskError } from '../../kernel/index.js';
import type { LlmCall, LlmClient, LlmMessage, LlmResult } from '../../ports/llm.js';
import { LlmTaskError } from './llm-task-error.js';

/**
 * One model call made by an LLM task, through the router's client: the call's scope names the
 * task's organization, agent, goal and task, and its purpose is the task type, so usage, budgets
 * and rate limits count against them. A router error ends the task with its code (llm-task-error.ts);
 * a task timeout or a lost lease ends it as the kernel decided (the abort's own reason).
 */
export interface ModelCaller {
  readonly llm: LlmClient;
  /** The organization of an agent (null: the agent is gone). */
  readonly orgOf: (agentId: string) => Promise<string | null>;
  /** The agent's assembled context (system prompt, rules, skills, documents); '' for none. */
  readonly context?: (agentId: string, goalId: string) => Promise<string>;
}

export type TaskCall = Omit<LlmCall, 'scope' | 'signal'>;

/** The organization of the task's agent; ASTRA_NOT_FOUND (not retried) when the agent is gone. */
export async function orgOfTask(caller: ModelCaller, task: ClaimedTask): Promise<string> {
  const orgId = await caller.orgOf(task.agentId);
  if (orgId === null)
    throw new LlmTaskError(
      'ASTRA_NOT_FOUND',
      `the agent ${task.agentId} of this task no longer exists`,
      { agent_id: task.agentId },
      { retryable: false },
    );
  return orgId;
}

export async function callModel(
  caller: ModelCaller,
  run: { readonly task: ClaimedTask; readonly signal: AbortSignal; readonly orgId?: string },
  call: TaskCall,
): Promise<LlmResult> {
  const { task, signal } = run;
  const orgId = run.orgId ?? (await orgOfTask(caller, task));
  try {
    return await caller.llm.complete({
      ...call,
      scope: { orgId, agentId: task.agentId, goalId: task.goalId, taskId: task.id, purpose: task.type },
      signal,
    });
  } catch (error) {
    if (signal.aborted && signal.reason instanceof TaskError) throw signal.reason;
    if (isAstraError(error))
      throw new LlmTaskError(error.code, error.message, error.details, { retryable: error.retryable });
    throw error;
  }
}

/** The agent's context, then the task's own instructions, as the system message (none when both are empty). */
export async function systemMessages(
  caller: ModelCaller,
  task: ClaimedTask,
  own: readonly (string | undefined)[],
  withContext = true,
): Promise<LlmMessage[]> {
  const context =
    withContext && caller.context !== undefined ? await caller.context(task.agentId, task.goalId) : '';
  const text = [context, ...own]
    .map((part) => part?.trim() ?? '')
    .filter((part) => part !== '')
    .join('\n\n');
  return text === '' ? [] : [{ role: 'system', content: text }];
}

/**
 * What every LLM task's result says about its call: the model that answered (`provider/model`),
 * each attempt, the tokens, the cost and whether the response cache served it.
 */
export function attribution(result: LlmResult): {
  model: string;
  attempts: { model: string; outcome: string }[];
  usage: { tokens_in: number; tokens_out: number; cached_tokens: number; estimated: boolean };
  cost_dollars: number;
  cache_hit: boolean;
  finish_reason: string;
  latency_ms: number;
} {
  return {
    model: result.model,
    attempts: result.attempts.map((attempt) => ({ model: attempt.model, outcome: attempt.outcome })),
    usage: {
      tokens_in: result.usage.inputTokens,
      tokens_out: result.usage.outputTokens,
      cached_tokens: result.usage.cachedInputTokens,
      estimated: result.usage.estimated,
    },
    cost_dollars: result.costUsd,
    cache_hit: result.cacheHit,
    finish_reason: result.finishReason,
    latency_ms: result.latencyMs,
  };
}
