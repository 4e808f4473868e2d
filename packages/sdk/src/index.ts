export {
  ChatConnection,
  type ChatConnectOptions,
  ChatError,
  type ChatFrame,
  type ChatWebSocket,
  type ChatWebSocketFactory,
} from './chat.js';
export { AstraClient, type ClientOptions } from './client.js';
export { AstraApiError } from './errors.js';
export type { EventStreamOptions } from './events.js';
export * from './operations.js';
export type { ApprovalStatus, GoalDocument, NewAgent, NewGoal } from './resources.js';
export {
  FatalTaskError,
  type ToolCallContext,
  type ToolHandler,
  Worker,
  type WorkerContext,
  type WorkerEvent,
  type WorkerHandler,
  type WorkerOptions,
  type WorkerTask,
  type WorkerToolSpec,
} from './worker.js';
