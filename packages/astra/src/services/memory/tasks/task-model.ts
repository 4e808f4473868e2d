import { isAstraError } from '../../../errors/index.js';
import { type ClaimedTask, TaskError } from '../../../kernel/index.js';
import type { LlmCall, LlmClient, LlmResult, LlmScope } from '../../../ports/llm.js';

/**
 * What the memory tasks need to call a model: the router's client (so budgets, rate limits and
 * usage hold as for every call) and the organization of an agent, the scope's first key. A call
 * is attributed to the task that makes it: its organization, agent, goal and task, with the task
 * type as the purpose.
 */
export interface MemoryModel {
  readonly llm: LlmClient;
  /** The organization of an agent; null when the agent is gone. */
  readonly orgOf: (agentId: string) => Promise<string | null>;
  /** A model ref for these tasks; absent: the routing rules decide. */
  readonly model?: string;
}

export const taskScope = (task: ClaimedTask, orgId: string): LlmScope => ({
  orgId,
  agentId: task.agentId,
  goalId: task.goalId,
  taskId: task.id,
  purpose: task.type,
});

export async function orgOfTask(model: MemoryModel, task: ClaimedTask): Promise<string> {
  const orgId = await model.orgOf(task.agentId);
  if (orgId === null)
    throw new TaskError(`the agent ${task.agentId} of this task no longer exists`, { retryable: false });
  return orgId;
}

/** True when the node has a provider to call (else the tasks write what they can without one). */
export const canCallModel = (model: MemoryModel): boolean => model.llm.providers().length > 0;

/**
 * One call through the router. An error the router calls retryable (a rate limit, a provider
 * down) is thrown as a retryable TaskError, so the kernel tries the task again later; any other
 * router error (a budget spent, no capable model) is answered as `{ refused: code }` for the
 * caller to do without the model; an abort leaves as the kernel's own reason.
 */
export async function callForTask(
  model: MemoryModel,
  run: { task: ClaimedTask; orgId: string; signal: AbortSignal },
  call: Omit<LlmCall, 'scope' | 'signal' | 'model'>,
): Promise<{ result: LlmResult } | { refused: string }> {
  try {
    const result = await model.llm.complete({
      ...call,
      ...(model.model === undefined ? {} : { model: model.model }),
      scope: taskScope(run.task, run.orgId),
      signal: run.signal,
    });
    return { result };
  } catch (error) {
    if (run.signal.aborted) throw run.signal.reason instanceof Error ? run.signal.reason : error;
    if (isAstraError(error)) {
      if (error.retryable) throw new TaskError(`${error.code}: ${error.message}`, { retryable: true });
      return { refused: error.code };
    }
    throw error;
  }
}
