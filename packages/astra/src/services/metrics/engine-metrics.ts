import type { Registry } from 'prom-client';
import type { EngineInterceptor } from '../../kernel/index.js';
import { HotCounter } from './hot-series.js';

/**
 * The engine commands' figures (an engine interceptor): goals submitted, tasks that began to wait
 * for approval, approval votes by the request's resulting status, and claims (batches and tasks).
 * Each counts once the command committed; a rejected command is not counted. Counted into plain
 * series (hot-series.ts), one continuation per command and no await of its own.
 */
export function engineMetrics(registry: Registry): EngineInterceptor {
  const submitted = new HotCounter(registry, {
    name: 'astra_goals_submitted_total',
    help: 'Goals submitted, by the status they started in (active, blocked, pending_approval).',
    labelNames: ['status'],
  });
  const approvalWaits = new HotCounter(registry, {
    name: 'astra_approval_waits_total',
    help: 'Running tasks that asked for approval and now wait for it (no worker slot held).',
  }).series();
  const votes = new HotCounter(registry, {
    name: 'astra_approval_votes_total',
    help: "Approval votes recorded, by the request's status after the vote (pending, approved, denied).",
    labelNames: ['status'],
  });
  const claimed = new HotCounter(registry, {
    name: 'astra_tasks_claimed_total',
    help: 'Tasks claimed by workers (queued to running).',
  }).series();
  return {
    submitGoal: (input, next) =>
      next(input).then((goal) => {
        if (!goal.existing) submitted.series(goal.status).inc();
        return goal;
      }),
    claim: (input, next) =>
      next(input).then((tasks) => {
        claimed.inc(tasks.length);
        return tasks;
      }),
    awaitApproval: (input, next) =>
      next(input).then((result) => {
        approvalWaits.inc(input.length);
        return result;
      }),
    decideApproval: (input, next) =>
      next(input).then((record) => {
        votes.series(record.status).inc();
        return record;
      }),
  };
}
