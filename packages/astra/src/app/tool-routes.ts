import { readGoalTasks } from '../kernel/index.js';
import type { SqlStore } from '../ports/sql-store.js';
import type { AccessControl } from '../services/access/access-control.js';
import { readAgent } from '../services/agents/index.js';
import { type RoutePlugin, routePlugin } from '../services/api/index.js';
import { APPROVAL_DEFAULTS, isRisky } from '../services/approvals/policy.js';
import { type GoalSubmissionOptions, submitGoalTo } from '../services/goals/submit-goal.js';
import type { ToolTaskOptions } from '../services/tools/index.js';
import { readTaskApproval } from '../services/tools/index.js';
import { artifactRoutes } from '../services/tools/routes-artifacts.js';
import { type ExecuteApprovals, executeRoutes } from '../services/tools/routes-execute.js';
import type { Clock } from '../time/clock.js';

/** What the tool runtime's routes stand on beyond the store: the node's runners and runtime. */
export type ApiToolParts = Pick<
  ToolTaskOptions,
  'runtime' | 'runners' | 'workspaces' | 'allowedTools' | 'approvalRule' | 'policy'
>;

/**
 * The approval rule of `POST /execute`, from the approvals and goals services: a call waits when a
 * tool task of the same tool would (approvals' `isRisky`, with the tool's risk tier), and is held
 * as a goal of one tool task submitted for the agent, whose task is created waiting with its
 * request (or whose plan waits, when the agent requires plan approval).
 */
function executeApprovals(submission: GoalSubmissionOptions): ExecuteApprovals {
  const { store } = submission;
  return {
    needed: async (agentId, manifest) => {
      const agent = await readAgent(store, agentId);
      if (agent === null) return false;
      const tool = `${manifest.name}@${manifest.version}`;
      return isRisky(
        { type: 'tool', payload: { tool } },
        agent,
        submission.approvals ?? APPROVAL_DEFAULTS,
        new Map([[tool, manifest.riskTier]]),
      );
    },
    hold: async (principal, agentId, call) => {
      const goal = await submitGoalTo(submission, {
        principal,
        agentId,
        idempotencyKey: undefined,
        body: {
          goal_text: `POST /execute ${call.tool}`,
          plan: { tasks: [{ id: 'execute', type: 'tool', payload: { tool: call.tool, input: call.input } }] },
        },
      });
      const [task] = await readGoalTasks(store, goal.goalId);
      const approval = task === undefined ? null : await readTaskApproval(store, task.id);
      return {
        approvalId: goal.approvalId ?? approval?.id ?? null,
        goalId: goal.goalId,
        taskId: task?.id ?? null,
      };
    },
  };
}

/** The artifact routes and `POST /execute`, after the registry's routes. */
export function toolRuntimeRoutes(
  parts: {
    readonly store: SqlStore;
    readonly access: AccessControl;
    readonly clock: Clock;
    readonly tools: ApiToolParts;
  },
  submission: GoalSubmissionOptions,
): RoutePlugin[] {
  const { store, access, clock, tools } = parts;
  return [
    routePlugin(artifactRoutes, { store, access, clock, tools }),
    routePlugin(executeRoutes, { store, clock, tools, approvals: executeApprovals(submission) }),
  ];
}
