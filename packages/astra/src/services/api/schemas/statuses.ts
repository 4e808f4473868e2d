import { z } from 'zod';
import { GOAL_STATUSES, TASK_STATUSES } from '../../../kernel/index.js';

/** The states of the kernel's state machines (kernel/tasks/types.ts), as answers show them. */
export const TaskStatus = z.enum(TASK_STATUSES).meta({ id: 'TaskStatus' });

export const GoalStatus = z.enum(GOAL_STATUSES).meta({ id: 'GoalStatus' });
