/** The kernel's actor runtime: registry, bounded mailboxes, supervision. Design and numbers: docs/actors.md. */
export { isMailboxFull, MailboxFull } from './actor-errors.js';
export { createActorSystem } from './actor-system.js';
export { DEFAULT_BACKOFF, DEFAULT_MAILBOX_CAPACITY, DEFAULT_RESTART_BUDGET } from './options.js';
export type {
  ActorBehavior,
  ActorContext,
  ActorFailure,
  ActorInfo,
  ActorRef,
  ActorRestart,
  ActorStart,
  ActorStats,
  ActorStatus,
  ActorSystem,
  ActorSystemOptions,
  BackoffOptions,
  DroppedMessage,
  DropReason,
  FailureOutcome,
  FailurePhase,
  RestartBudget,
  SpawnOptions,
  SupervisionPolicy,
  Supervisor,
  SupervisorOptions,
} from './types.js';
