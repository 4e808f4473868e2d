import { AstraError } from '../../errors/index.js';
import type { PlanAttempt, PlanIssue } from './types.js';

/**
 * ASTRA_PLAN_REJECTED: the model's last answer still broke rules after every attempt. `issues`
 * are the validator's last issues (JSON Pointers into that answer); the error's details carry
 * them as JSON text (error details are flat), and a task's error carries them as a list.
 */
export class PlanRejected extends AstraError {
  readonly issues: readonly PlanIssue[];
  readonly attempts: readonly PlanAttempt[];

  constructor(attempts: readonly PlanAttempt[]) {
    const issues = attempts[attempts.length - 1]?.issues ?? [];
    const first = issues[0];
    const count = attempts.length;
    super(
      'ASTRA_PLAN_REJECTED',
      `the planner found no valid plan in ${count} attempt${count === 1 ? '' : 's'}: ${
        first === undefined ? 'no answer' : `${first.path || '(the answer)'} ${first.reason}`
      }${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
      { details: { attempts: count, issues: JSON.stringify(issues) } },
    );
    this.issues = issues;
    this.attempts = attempts;
  }

  /** The task error body: `{"code", "message", "details": {"attempts", "issues": [...]}}`. */
  taskError(): string {
    return JSON.stringify({
      code: this.code,
      message: this.message,
      details: { attempts: this.attempts.length, issues: this.issues },
    });
  }
}
