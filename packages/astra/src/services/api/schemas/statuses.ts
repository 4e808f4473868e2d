import { z } from 'zod';

/** The states of the kernel's state machines (kernel/tasks/types.ts), as answers show them. */
export const TaskStatus = z
  .enum([
    'created',
    'pending',
    'waiting_approval',
    'queued',
    'scheduled',
    'running',
    'completed',
    'failed',
    'dead_letter',
    'cancelled',
  ])
  .meta({ id: 'TaskStatus' });

export const GoalStatus = z
  .enum(['pending', 'pending_approval', 'blocked', 'active', 'completed', 'failed', 'cancelled'])
  .meta({ id: 'GoalStatus' });
