import type { FailureRecord } from './failure-record.js';
import type { ResolvedSupervision } from './options.js';
import { type ActorRuntime, guard } from './runtime.js';
import type { ActorFailure, FailureOutcome, SupervisionPolicy, Supervisor } from './types.js';

/** What a supervisor decided about one failure. */
export interface Decision {
  readonly outcome: Exclude<FailureOutcome, 'stopped'>;
  readonly delayMs: number;
  readonly budgetExhausted: boolean;
}

/**
 * A node of the supervision tree. It holds no list of its children (an actor points at its
 * supervisor, not the reverse), so a supervisor over a million actors is one small object.
 *
 * Deciding a failure, per child:
 * - `escalate` and `terminate` stop the child; no budget is involved.
 * - `restart` and `restart-with-backoff` first take a restart from the child's budget
 *   (maxRestarts per windowMs). With budget left, `restart` rebuilds at once and
 *   `restart-with-backoff` waits initialMs × 2^(failures since the last success), capped at maxMs.
 *   With the budget spent, the restart storm ends: the child escalates if this supervisor has a
 *   parent, else it is terminated.
 *
 * Escalating hands the failure to the nearest ancestor that has an `onEscalate` hook, and to the
 * system's `onEscalate` when none does (also when this supervisor has no parent at all).
 */
export class SupervisorNode implements Supervisor {
  readonly name: string;
  readonly parent: SupervisorNode | undefined;
  readonly runtime: ActorRuntime;
  readonly #supervision: ResolvedSupervision;
  readonly #onEscalate: ((failure: ActorFailure) => void) | undefined;

  constructor(
    runtime: ActorRuntime,
    spec: {
      readonly name: string;
      readonly parent: SupervisorNode | undefined;
      readonly supervision: ResolvedSupervision;
      readonly onEscalate: ((failure: ActorFailure) => void) | undefined;
    },
  ) {
    this.runtime = runtime;
    this.name = spec.name;
    this.parent = spec.parent;
    this.#supervision = spec.supervision;
    this.#onEscalate = spec.onEscalate;
  }

  get restartBudget(): ResolvedSupervision['restartBudget'] {
    return this.#supervision.restartBudget;
  }

  /** `policy` is the child's own (from its behavior) when it has one. Updates the child's record. */
  decide(policy: SupervisionPolicy | undefined, record: FailureRecord, nowMs: number): Decision {
    const { restartBudget, backoff } = this.#supervision;
    const applied = policy ?? this.#supervision.policy;
    if (applied === 'escalate' || applied === 'terminate') {
      return {
        outcome: applied === 'escalate' ? 'escalated' : 'terminated',
        delayMs: 0,
        budgetExhausted: false,
      };
    }
    if (!record.tryRestart(nowMs, restartBudget)) {
      return {
        outcome: this.parent === undefined ? 'terminated' : 'escalated',
        delayMs: 0,
        budgetExhausted: true,
      };
    }
    if (applied === 'restart') return { outcome: 'restarted', delayMs: 0, budgetExhausted: false };
    return { outcome: 'backing-off', delayMs: record.nextBackoffMs(backoff), budgetExhausted: false };
  }

  /** Hands a failure of one of this supervisor's children up the tree. */
  escalate(failure: ActorFailure): void {
    for (let node = this.parent; node !== undefined; node = node.parent) {
      const hook = node.#onEscalate;
      if (hook !== undefined) {
        guard(() => hook(failure));
        return;
      }
    }
    this.runtime.escalatedToRoot(failure);
  }
}
