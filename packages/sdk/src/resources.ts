import type { Approval, CreateAgentBody, SubmitGoalBody } from './operations.js';

/**
 * Names for request shapes that read better than their operations' (`createAgent`'s body is a
 * NewAgent). Every other type is generated from the OpenAPI document (operations.ts).
 */
export type NewAgent = CreateAgentBody;
export type NewGoal = SubmitGoalBody;
export type GoalDocument = NonNullable<SubmitGoalBody['documents']>[number];
export type ApprovalStatus = Approval['status'];
