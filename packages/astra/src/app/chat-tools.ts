import { AstraError } from '../errors/index.js';
import { readGoal, readGoalTasks, type TaskEngine, type TaskRecord } from '../kernel/index.js';
import type { JsonValue } from '../ports/sql-rows.js';
import type { SqlStore } from '../ports/sql-store.js';
import { readProfile } from '../services/agents/index.js';
import type { ChatToolOffer, ChatToolOutcome, ChatTools } from '../services/chat/index.js';
import { type GoalSubmissionOptions, submitGoalTo } from '../services/goals/submit-goal.js';
import { listTools, readTaskApproval, toolAllowed } from '../services/tools/index.js';
import type { Clock } from '../time/clock.js';

/**
 * The chat's tool calls over the goals service and the kernel: the model is offered the newest
 * version of each registered tool the agent's `allowed_tools` admits (an agent without a list is
 * offered none in chat: a list says which tools a conversation may reach), and each call is
 * submitted, as the caller, as a goal of one `tool` task of the agent (no retries). So it runs as
 * every tool task does, on an executor: the allow-list, the Cedar `tool.call` policies (a
 * `@require_approval` permit makes the task wait), approvals by risk tier, the sandbox, the effect
 * ledger, the task's artifacts and events. The chat reads the task every `pollMs` until it ends,
 * telling the turn once when it waits for an approval (the task's request, or the goal's plan
 * approval when the agent requires one). A cancelled turn cancels the goal.
 */
export interface ChatToolsOptions {
  readonly store: SqlStore;
  readonly submission: GoalSubmissionOptions;
  readonly engine: Pick<TaskEngine, 'cancelGoal'>;
  readonly clock: Clock;
  readonly pollMs: number;
}

/** Providers accept tool names of letters, digits, `_` and `-`, up to 64 characters. */
const modelName = (name: string): string => name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);

const ENDED = new Set<TaskRecord['status']>(['completed', 'dead_letter', 'cancelled']);

function errorOf(task: TaskRecord): { code: string; message: string } {
  try {
    const parsed = JSON.parse(task.error ?? '') as { code?: unknown; message?: unknown };
    if (typeof parsed.code === 'string')
      return { code: parsed.code, message: typeof parsed.message === 'string' ? parsed.message : '' };
  } catch {}
  return {
    code: 'ASTRA_TOOL_FAILED',
    message: task.error ?? `the tool task ended ${task.status}`,
  };
}

export function chatToolsOf(options: ChatToolsOptions): ChatTools {
  const { store, clock } = options;
  return {
    offers: async (agentId) => {
      const allowed = (await readProfile(store, agentId))?.allowedTools ?? null;
      if (allowed === null || allowed.length === 0) return [];
      const offers: ChatToolOffer[] = [];
      for (const tool of await listTools(store)) {
        if (tool.sandbox === 'remote' || !toolAllowed(allowed, tool.name, tool.version)) continue;
        offers.push({
          tool: `${tool.name}@${tool.version}`,
          spec: { name: modelName(tool.name), description: tool.description, parameters: tool.inputSchema },
        });
      }
      return offers;
    },

    run: async (call): Promise<ChatToolOutcome> => {
      const goal = await submitGoalTo(options.submission, {
        principal: call.principal,
        agentId: call.agentId,
        idempotencyKey: undefined,
        body: {
          goal_text: `chat ${call.sessionId}: ${call.tool}`,
          plan: {
            tasks: [
              { id: 'call', type: 'tool', payload: { tool: call.tool, input: call.input }, max_retries: 0 },
            ],
          },
        },
      });
      const goalId = goal.goalId;
      let told: string | null | undefined;
      const tell = (approvalId: string | null, taskId: string | null): void => {
        if (told === approvalId) return;
        told = approvalId;
        call.onWaiting({ approvalId, taskId, goalId });
      };
      if (goal.approvalId !== null) tell(goal.approvalId, null);
      try {
        for (;;) {
          if (call.signal.aborted) throw cancelled();
          const [task] = await readGoalTasks(store, goalId);
          if (task !== undefined) {
            if (task.status === 'completed')
              return { ok: true, result: (task.result ?? null) as JsonValue, taskId: task.id, goalId };
            if (ENDED.has(task.status) || (task.status === 'failed' && task.retries >= task.maxRetries))
              return { ok: false, error: errorOf(task), taskId: task.id, goalId };
            if (task.status === 'waiting_approval') {
              const approval = await readTaskApproval(store, task.id);
              if (approval?.status === 'pending') tell(approval.id, task.id);
            }
          } else {
            const record = await readGoal(store, goalId);
            if (record !== null && (record.status === 'failed' || record.status === 'cancelled'))
              return {
                ok: false,
                error: {
                  code: 'ASTRA_TOOL_NOT_ALLOWED',
                  message: record.error ?? `the call's goal ${record.status}`,
                },
                taskId: null,
                goalId,
              };
          }
          await clock.sleep(options.pollMs, call.signal).catch(() => undefined);
        }
      } catch (error) {
        if (call.signal.aborted)
          await options.engine.cancelGoal(goalId, 'the chat turn was cancelled').catch(() => undefined);
        throw error;
      }
    },
  };
}

const cancelled = (): AstraError =>
  new AstraError('ASTRA_LLM_CANCELLED', 'the chat turn was cancelled while a tool call ran');
