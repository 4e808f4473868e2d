/**
 * Shapes of Astra's public resources as the API answers them (upstream's snake_case names).
 * Payloads and results are whatever JSON the plan and the handlers put there.
 */
export type TaskStatus =
  | 'created'
  | 'pending'
  | 'waiting_approval'
  | 'queued'
  | 'scheduled'
  | 'running'
  | 'completed'
  | 'failed'
  | 'dead_letter'
  | 'cancelled';

export type GoalStatus =
  | 'pending'
  | 'pending_approval'
  | 'blocked'
  | 'active'
  | 'completed'
  | 'failed'
  | 'cancelled';

export interface Agent {
  readonly id: string;
  readonly name: string;
  readonly actor_type: string;
  readonly status: 'active' | 'stopped' | 'error';
  readonly system_prompt: string | null;
  readonly config: Record<string, unknown>;
  readonly chat_capable: boolean;
  readonly tags: readonly string[];
  readonly created_at: string;
}

export interface NewAgent {
  readonly name?: string;
  readonly actor_type?: string;
  readonly system_prompt?: string;
  readonly config?: Record<string, unknown>;
  readonly chat_capable?: boolean;
  readonly tags?: readonly string[];
}

export interface PlanTask {
  readonly id: string;
  readonly type: string;
  readonly payload?: unknown;
  readonly priority?: number;
  readonly max_retries?: number;
  readonly timeout_ms?: number;
  readonly depends_on?: readonly string[];
  readonly on_dependency_failure?: 'fail' | 'skip';
}

export interface Plan {
  readonly tasks: readonly PlanTask[];
}

export interface NewGoal {
  readonly goal_text: string;
  readonly plan: Plan;
  readonly priority?: number;
  readonly depends_on_goal_ids?: readonly string[];
  readonly cascade_id?: string;
  /** The plan waits for approval (answered 202 `pending_approval`) even when the agent does not require it. */
  readonly require_approval?: boolean;
  /** Documents for this goal only, stored with it. */
  readonly documents?: readonly GoalDocument[];
}

export interface GoalDocument {
  readonly doc_type: 'rule' | 'skill' | 'context_doc' | 'reference';
  readonly name: string;
  /** Exactly one of content and uri. */
  readonly content?: string;
  readonly uri?: string;
  readonly metadata?: Record<string, unknown>;
  /** Lower first; default 100. */
  readonly priority?: number;
}

export interface SubmittedGoal {
  readonly goal_id: string;
  readonly graph_id: string | null;
  readonly task_count: number;
  readonly status: GoalStatus;
  /** When the plan waits for approval (`status: "pending_approval"`). */
  readonly approval_id?: string;
}

export interface Goal {
  readonly id: string;
  readonly agent_id: string;
  readonly goal_text: string;
  readonly status: GoalStatus;
  readonly graph_id: string | null;
  readonly error: string | null;
  readonly created_at: string;
  readonly completed_at: string | null;
  /** Task counts by status, plus `total`. */
  readonly progress: Readonly<Record<string, number>>;
}

export interface Task {
  readonly id: string;
  readonly graph_id: string;
  readonly goal_id: string;
  readonly agent_id: string;
  readonly name: string;
  readonly type: string;
  readonly status: TaskStatus;
  readonly payload: unknown;
  readonly result: unknown;
  readonly error: string | null;
  readonly priority: number;
  readonly retries: number;
  readonly attempt: number;
  readonly max_retries: number;
  readonly depends_on: readonly string[];
  readonly worker_id: string | null;
  readonly created_at: string;
  readonly started_at: string | null;
  readonly completed_at: string | null;
}

export interface Graph {
  readonly id: string;
  readonly goal_id: string;
  readonly status: 'active' | 'completed' | 'failed' | 'cancelled';
  readonly task_count: number;
  readonly unfinished_tasks: number;
  readonly tasks: readonly Task[];
}

export interface Worker {
  readonly id: string;
  readonly hostname: string;
  readonly status: 'active' | 'draining' | 'offline';
  readonly capabilities: readonly string[];
  readonly concurrency: number;
  readonly last_heartbeat: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

/** A plan or a risky task waiting for people: `approvals_required` approve votes approve it, any deny denies it. */
export interface Approval {
  readonly id: string;
  readonly request_type: 'plan' | 'risky_task';
  readonly agent_id: string;
  readonly goal_id: string;
  readonly graph_id: string | null;
  readonly task_id: string | null;
  readonly status: ApprovalStatus;
  readonly required_approvals: number;
  readonly approvals_required: number;
  readonly approvals_received: number;
  readonly approvers: readonly string[];
  readonly action_summary: string;
  readonly expires_at: string | null;
  readonly reason: string | null;
  readonly decided_at: string | null;
  readonly created_at: string;
}

/** `GET /approvals/{id}`: the request with its votes and audit trail (and the plan, for a plan). */
export interface ApprovalDetails extends Approval {
  readonly plan_payload?: Plan;
  readonly decisions: readonly {
    readonly approver: string;
    readonly decision: 'approve' | 'deny';
    readonly reason: string | null;
    readonly created_at: string;
  }[];
  readonly events: readonly {
    readonly id: number;
    readonly type: string;
    readonly payload: Record<string, unknown>;
    readonly created_at: string;
  }[];
}
