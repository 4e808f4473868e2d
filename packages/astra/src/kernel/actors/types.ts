/**
 * The public types of the actor runtime.
 *
 * Glossary
 * - actor: an id, a bounded mailbox and a behavior. It handles one message at a time, in send order.
 * - behavior: the definition shared by every actor of one kind: the handler, optional `init`,
 *   `onRestart` and `snapshot` hooks, a supervision policy and a mailbox capacity. Actors hold their
 *   behavior by reference, so a million actors of one kind share one behavior object.
 * - state: what one actor keeps between messages (`ctx.state`); built by `init`, rebuilt on restart.
 * - mailbox: the FIFO of messages sent to an actor and not yet handled. Bounded; allocated on the
 *   first send after an idle spell and released when it drains.
 * - turn: one stretch of handling by an actor, up to a fixed number of messages, before others run.
 * - failure: a handler, `init` or `onRestart` that threw or rejected.
 * - supervisor: the node that decides what a failure does to its child (the policy), within a
 *   restart budget. Supervisors form a tree; escalated failures travel up it.
 * - restart budget: at most `maxRestarts` restarts of one child within `windowMs`.
 * - escalation: the child stops and the failure is handed up the supervisor tree.
 * - drop: a message that will never be handled (its handler failed, or its actor stopped first),
 *   reported to `onDropped`.
 */
import type { Clock } from '../../time/clock.js';

/** What a supervisor does with a child whose handler (or init/onRestart) failed. */
export type SupervisionPolicy = 'restart' | 'restart-with-backoff' | 'escalate' | 'terminate';

/** Where an actor is in its life; see the state machine in actor-cell.ts. */
export type ActorStatus = 'idle' | 'scheduled' | 'running' | 'backoff' | 'stopping' | 'stopped';

/** Which piece of the behavior failed. */
export type FailurePhase = 'init' | 'restart' | 'handler';

/** What a failure led to. `stopped`: a stop was already requested, so the failure changes nothing. */
export type FailureOutcome = 'restarted' | 'backing-off' | 'escalated' | 'terminated' | 'stopped';

/** Why a message was dropped: its handler failed, or its actor ended before reaching it. */
export type DropReason = 'failed' | 'stopped' | 'terminated' | 'escalated';

export interface RestartBudget {
  /** Restarts allowed within the window; the next failure escalates (or terminates without a parent). */
  readonly maxRestarts: number;
  readonly windowMs: number;
}

export interface BackoffOptions {
  /** Delay before the first restart; doubles per consecutive failure. */
  readonly initialMs: number;
  /** Cap on the delay. */
  readonly maxMs: number;
}

/** Handed to the handler with each message. Valid for the actor's whole life; it reads and writes the actor's state. */
export interface ActorContext<S> {
  readonly id: string;
  /** The actor's state; assign to replace it. */
  state: S;
  /** The system this actor lives in: to send, spawn or stop. Never await your own stop from a handler. */
  readonly system: ActorSystem;
}

export interface ActorStart {
  readonly id: string;
}

export interface ActorRestart<S> {
  readonly id: string;
  /** The state as the failed handler left it. */
  readonly state: S;
  readonly error: unknown;
}

/**
 * A kind of actor. Define it once and spawn many actors from it: it is shared, not copied.
 * Without `init` the state starts `undefined`.
 */
export interface ActorBehavior<M, S = undefined> {
  /** Handles one message; the next one starts only after this returns or its promise settles. */
  readonly handler: (message: M, ctx: ActorContext<S>) => Promise<void> | void;
  /** Builds the state before the first message, on the actor's first turn. A failure is supervised like a handler failure. */
  readonly init?: (start: ActorStart) => S | Promise<S>;
  /** Rebuilds the state on restart. Default: `init` again; without `init`, the state is kept as the handler left it. */
  readonly onRestart?: (restart: ActorRestart<S>) => S | Promise<S>;
  /** A JSON-safe picture of the state, for an owner that persists it (`system.snapshot(id)`). */
  readonly snapshot?: (state: S, id: string) => unknown;
  /** Overrides the supervisor's policy for actors of this kind. */
  readonly policy?: SupervisionPolicy;
  /** Default: the system's `mailboxCapacity` (1024). */
  readonly mailboxCapacity?: number;
}

/** Internal: behaviors are stored without their message and state types; spawn is where the types meet. */
export type AnyBehavior = ActorBehavior<unknown, unknown>;

/** A handle on one incarnation of an actor: after it stops, sends fail even if the id is spawned again. */
export interface ActorRef<M> {
  readonly id: string;
  /** Queues the message and returns at once; throws MailboxFull or ASTRA_ACTOR_NOT_FOUND. */
  send(message: M): void;
  /** See `ActorSystem.stop`. */
  stop(): Promise<void>;
}

export interface Supervisor {
  readonly name: string;
  readonly parent: Supervisor | undefined;
}

export interface SupervisorOptions {
  readonly name: string;
  /**
   * Escalations from this supervisor's children go to the nearest ancestor with `onEscalate`, else to the
   * system's. Without a parent, a child that spends its restart budget is terminated instead.
   */
  readonly parent?: Supervisor;
  /** Policy for children whose behavior names none. Default: the system's `policy`. */
  readonly policy?: SupervisionPolicy;
  /** Per child. Default: the system's `restartBudget`. */
  readonly restartBudget?: RestartBudget;
  /** Default: the system's `backoff`. */
  readonly backoff?: BackoffOptions;
  /** Receives failures escalated to this supervisor by child supervisors. Must not throw. */
  readonly onEscalate?: (failure: ActorFailure) => void;
}

export interface SpawnOptions<M, S> {
  /** Unique among live actors of the system; non-empty. */
  readonly id: string;
  readonly behavior: ActorBehavior<M, S>;
  /** Default: the system's default supervisor. Must come from the same system. */
  readonly supervisor?: Supervisor;
}

export interface DroppedMessage {
  readonly actorId: string;
  readonly message: unknown;
  readonly reason: DropReason;
  /** The handler's error when `reason` is `failed`. */
  readonly error?: unknown;
}

export interface ActorFailure {
  readonly actorId: string;
  /** The name of the supervisor that decided. */
  readonly supervisor: string;
  readonly phase: FailurePhase;
  readonly error: unknown;
  readonly outcome: FailureOutcome;
  /** The backoff delay when `outcome` is `backing-off`, else 0. */
  readonly delayMs: number;
  /** True when the restart budget was spent, so the policy's restart was refused. */
  readonly budgetExhausted: boolean;
}

export interface ActorInfo {
  readonly id: string;
  readonly status: ActorStatus;
  /** Messages waiting in the mailbox (not counting one being handled). */
  readonly queued: number;
  readonly supervisor: string;
}

/** Counters since the system was created, plus two gauges (`actors`, `active`). */
export interface ActorStats {
  /** Actors registered now (live or finishing a stop). */
  readonly actors: number;
  /** Actors holding a mailbox now: queued work, running, starting or backing off. The rest are idle. */
  readonly active: number;
  readonly spawned: number;
  readonly stopped: number;
  /** Messages whose handler returned or resolved. */
  readonly processed: number;
  readonly failures: number;
  readonly restarts: number;
  readonly escalations: number;
  readonly terminations: number;
  readonly dropped: number;
  /** Sends refused with MailboxFull. */
  readonly rejected: number;
}

export interface ActorSystemOptions {
  /** Backoff sleeps and service-time measurements use it. Default: the system clock. */
  readonly clock?: Clock;
  /** Default mailbox bound; default 1024. */
  readonly mailboxCapacity?: number;
  /** The default supervisor's policy; default `restart`. */
  readonly policy?: SupervisionPolicy;
  /** Default 10 restarts per 60,000 ms, per child. */
  readonly restartBudget?: RestartBudget;
  /** Default 100 ms doubling to 30,000 ms. */
  readonly backoff?: BackoffOptions;
  /** Smallest retry-after hint a MailboxFull carries; default 5 ms. */
  readonly retryAfterFloorMs?: number;
  /** Per-message time assumed before the actor has finished a message in its busy spell; default 100 ms. */
  readonly retryAfterDefaultMs?: number;
  /** Told about every dropped message. Must not throw (a throw is ignored). */
  readonly onDropped?: (dropped: DroppedMessage) => void;
  /** Told about every failure and what it led to. Must not throw. */
  readonly onFailure?: (failure: ActorFailure) => void;
  /** Receives escalations that no supervisor up the tree took. Must not throw. */
  readonly onEscalate?: (failure: ActorFailure) => void;
}

/** The registry and runtime of actors in one process. */
export interface ActorSystem {
  /** The supervisor of actors spawned without one; it has no parent. */
  readonly defaultSupervisor: Supervisor;
  /** Registers the actor; it costs no scheduling until its first message (or its `init`). */
  spawn<M, S>(options: SpawnOptions<M, S>): ActorRef<M>;
  /** The live actor with this id, typed as the caller says (unchecked); undefined if none or stopping. */
  lookup<M = unknown>(id: string): ActorRef<M> | undefined;
  /** Queues a message for the actor with this id; throws MailboxFull or ASTRA_ACTOR_NOT_FOUND. */
  send(id: string, message: unknown): void;
  /**
   * Stops the actor: it takes no new message, the message being handled finishes, queued messages are
   * dropped (reason `stopped`). Resolves once it has stopped and its id is free. Idempotent.
   */
  stop(id: string): Promise<void>;
  /** Closes the system (later spawns fail with ASTRA_SHUTTING_DOWN) and stops every actor as `stop` does. */
  stopAll(): Promise<void>;
  /** Ids of registered actors, including ones finishing a stop. */
  list(): string[];
  count(): number;
  inspect(id: string): ActorInfo | undefined;
  /** The behavior's snapshot of the actor's current state (undefined without a snapshot hook). */
  snapshot(id: string): unknown;
  createSupervisor(options: SupervisorOptions): Supervisor;
  stats(): ActorStats;
}
