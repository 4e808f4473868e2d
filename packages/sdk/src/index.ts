export {
  AstraClient,
  type ClientOptions,
  type Health,
  type Readiness,
  type ServiceToken,
  type Session,
} from './client.js';
export { AstraApiError } from './errors.js';
export type { EventStreamOptions, StreamedEvent } from './events.js';
export type {
  Agent,
  Approval,
  ApprovalDetails,
  ApprovalStatus,
  Goal,
  GoalDocument,
  GoalStatus,
  Graph,
  NewAgent,
  NewGoal,
  Plan,
  PlanTask,
  SubmittedGoal,
  Task,
  TaskStatus,
  Worker,
} from './resources.js';
