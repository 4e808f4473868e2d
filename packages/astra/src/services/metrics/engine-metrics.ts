import { Counter, type Registry } from 'prom-client';
import type { EngineInterceptor } from '../../kernel/index.js';

/**
 * The engine commands' figures (an engine interceptor): goals submitted, tasks that began to wait
 * for approval, approval votes by the request's resulting status, and claims (batches and tasks).
 * Each counts once the command committed; a rejected command is not counted.
 */
export function engineMetrics(registry: Registry): EngineInterceptor {
  const registers = [registry];
  const submitted = new Counter({
    name: 'astra_goals_submitted_total',
    help: 'Goals submitted, by the status they started in (active, blocked, pending_approval).',
    labelNames: ['status'],
    registers,
  });
  const approvalWaits = new Counter({
    name: 'astra_approval_waits_total',
    help: 'Running tasks that asked for approval and now wait for it (no worker slot held).',
    registers,
  });
  const votes = new Counter({
    name: 'astra_approval_votes_total',
    help: "Approval votes recorded, by the request's status after the vote (pending, approved, denied).",
    labelNames: ['status'],
    registers,
  });
  const claimed = new Counter({
    name: 'astra_tasks_claimed_total',
    help: 'Tasks claimed by workers (queued to running).',
    registers,
  });
  return {
    submitGoal: async (input, next) => {
      const goal = await next(input);
      if (!goal.existing) submitted.inc({ status: goal.status });
      return goal;
    },
    claim: async (input, next) => {
      const tasks = await next(input);
      claimed.inc(tasks.length);
      return tasks;
    },
    awaitApproval: async (input, next) => {
      await next(input);
      approvalWaits.inc(input.length);
    },
    decideApproval: async (input, next) => {
      const record = await next(input);
      votes.inc({ status: record.status });
      return record;
    },
  };
}
