import { Activity } from './activity.js';
import { actorNotFound, MailboxFull } from './actor-errors.js';
import { FailureRecord } from './failure-record.js';
import type { Runnable } from './scheduler.js';
import type { SupervisorNode } from './supervisor.js';
import type {
  ActorFailure,
  ActorInfo,
  ActorStatus,
  AnyBehavior,
  FailureOutcome,
  FailurePhase,
} from './types.js';
import { buildState, isThenable } from './user-code.js';

/**
 * Messages one actor handles in a turn before it goes to the back of the ready queue, so a busy actor
 * cannot starve the others. Large enough that the per-turn bookkeeping is noise, small enough that
 * a turn stays well under a millisecond for handlers of a few microseconds.
 */
const MESSAGES_PER_TURN = 64;

/**
 * One actor: its id, behavior, supervisor and state, and the state machine that runs it.
 *
 *   idle ──send──▶ scheduled ──its turn──▶ running ──mailbox empty──▶ idle (mailbox released)
 *   running ──turn used up──▶ scheduled
 *   running ──failure──▶ the supervisor decides:
 *       restart               → running: rebuild state (onRestart, else init), go on with the mailbox
 *       restart-with-backoff  → backoff ──clock sleep──▶ scheduled (sends keep queueing, to the bound)
 *       escalate / terminate  → stopped (queued messages dropped; escalation goes up the tree)
 *   idle | scheduled | backoff ──stop──▶ stopped
 *   running ──stop──▶ stopping ──current message settles──▶ stopped
 *
 * A spawn whose behavior has `init` starts scheduled, and runs init on its first turn before any
 * message; a failed init or onRestart is supervised like a failed handler (with no message to drop).
 * The failed message itself is always dropped and reported (reason `failed`): a restart continues
 * with the next one. On stopping, queued messages are dropped and reported (reason `stopped`,
 * `terminated` or `escalated`) and the id is freed; only then does `stop()` resolve.
 *
 * An idle actor is this object and nothing else: seven fields, no mailbox, no timer, no promise and
 * no closure. Everything needed while busy lives in an Activity that is dropped on going idle. The
 * failure record survives idleness only until a success finds no restart left in the budget window.
 */
export class ActorCell implements Runnable {
  readonly id: string;
  readonly behavior: AnyBehavior;
  readonly supervisor: SupervisorNode;
  /** Read and written by the handler through its context; public for that reason only. */
  state: unknown = undefined;
  #status: ActorStatus = 'idle';
  #activity: Activity | undefined = undefined;
  #failures: FailureRecord | undefined = undefined;

  constructor(id: string, behavior: AnyBehavior, supervisor: SupervisorNode) {
    this.id = id;
    this.behavior = behavior;
    this.supervisor = supervisor;
  }

  get status(): ActorStatus {
    return this.#status;
  }

  /** Called once the actor is registered: an actor with init takes a first turn to run it. */
  start(): void {
    if (this.behavior.init === undefined) return;
    this.#activate().pending = 'init';
    this.#schedule();
  }

  /** Queues a message; never waits. Throws MailboxFull at the bound, ASTRA_ACTOR_NOT_FOUND once stopping. */
  send(message: unknown): void {
    if (this.#status === 'stopping' || this.#status === 'stopped') throw actorNotFound(this.id);
    const { options, clock, counters } = this.supervisor.runtime;
    const activity = this.#activity ?? this.#activate();
    const capacity = this.behavior.mailboxCapacity ?? options.mailboxCapacity;
    if (activity.mailbox.size >= capacity) {
      counters.rejected++;
      throw new MailboxFull(this.id, capacity, activity.retryAfterMs(clock.now(), options));
    }
    activity.mailbox.push(message);
    if (this.#status === 'idle') this.#schedule();
  }

  /** Begins a stop; undefined when the actor stopped at once, else resolves once the current message settles. */
  requestStop(): Promise<void> | undefined {
    switch (this.#status) {
      case 'stopped':
        return undefined;
      case 'idle':
      case 'scheduled':
      case 'backoff':
        this.#finish('stopped');
        return undefined;
      case 'running':
      case 'stopping':
        this.#status = 'stopping';
        return this.#activity?.whenStopped();
    }
  }

  info(): ActorInfo {
    return {
      id: this.id,
      status: this.#status,
      queued: this.#activity?.mailbox.size ?? 0,
      supervisor: this.supervisor.name,
    };
  }

  run(): void {
    // Stopped while waiting in the ready queue: nothing to do.
    if (this.#status !== 'scheduled') return;
    this.#status = 'running';
    this.#proceed();
  }

  /** The turn: lifecycle step, then messages, until the mailbox is empty, the turn is used up or a step went async. */
  #proceed(): void {
    for (let handled = 0; ; ) {
      const activity = this.#activity;
      if (this.#status !== 'running' || activity === undefined) {
        if (this.#status === 'stopping') this.#finish('stopped');
        return;
      }
      if (activity.pending !== undefined) {
        if (!this.#runLifecycle(activity)) return;
      } else if (activity.mailbox.size === 0) {
        this.#goIdle();
        return;
      } else if (handled++ === MESSAGES_PER_TURN) {
        this.#schedule();
        return;
      } else if (!this.#handle(activity, activity.mailbox.shift())) {
        return;
      }
    }
  }

  /** True when the turn may go on at once; false when the handler went async or the failure took over. */
  #handle(activity: Activity, message: unknown): boolean {
    const { clock, system } = this.supervisor.runtime;
    const startedMs = clock.now();
    let result: unknown;
    try {
      result = this.behavior.handler(message, activity.context(this, system));
    } catch (error) {
      return this.#fail(activity, 'handler', error, message);
    }
    if (!isThenable(result)) {
      this.#succeed(activity, startedMs);
      return true;
    }
    void result.then(
      () => {
        this.#succeed(activity, startedMs);
        this.#proceed();
      },
      (error: unknown) => {
        if (this.#fail(activity, 'handler', error, message)) this.#proceed();
      },
    );
    return false;
  }

  #succeed(activity: Activity, startedMs: number): void {
    const { clock, counters } = this.supervisor.runtime;
    counters.processed++;
    const nowMs = clock.now();
    activity.recordServiceTime(nowMs - startedMs);
    if (this.#failures?.succeeded(nowMs, this.supervisor.restartBudget)) this.#failures = undefined;
  }

  /** Runs the pending init or restart step; same contract as #handle. */
  #runLifecycle(activity: Activity): boolean {
    const phase = activity.pending === 'init' ? 'init' : 'restart';
    const settle = (): void => {
      activity.pending = undefined;
      activity.restartError = undefined;
    };
    let result: unknown;
    try {
      result = buildState(this.behavior, phase, {
        id: this.id,
        state: this.state,
        error: activity.restartError,
      });
    } catch (error) {
      settle();
      return this.#fail(activity, phase, error, undefined);
    }
    if (!isThenable(result)) {
      this.state = result;
      settle();
      return true;
    }
    void result.then(
      (state: unknown) => {
        this.state = state;
        settle();
        this.#proceed();
      },
      (error: unknown) => {
        settle();
        if (this.#fail(activity, phase, error, undefined)) this.#proceed();
      },
    );
    return false;
  }

  /** Applies supervision to a failure; true when the turn may go on at once (an immediate restart). */
  #fail(activity: Activity, phase: FailurePhase, error: unknown, message: unknown): boolean {
    const runtime = this.supervisor.runtime;
    runtime.counters.failures++;
    if (phase === 'handler') runtime.dropped(this.id, message, 'failed', error);
    if (this.#status === 'stopping') {
      // A stop was requested while this step ran: the actor stops whatever the policy says.
      this.#finish('stopped');
      runtime.failed(
        this.#describe(phase, error, { outcome: 'stopped', delayMs: 0, budgetExhausted: false }),
      );
      return false;
    }
    const nowMs = runtime.clock.now();
    this.#failures ??= new FailureRecord();
    const decision = this.supervisor.decide(this.behavior.policy, this.#failures, nowMs);
    const failure = this.#describe(phase, error, decision);
    switch (decision.outcome) {
      case 'restarted':
        runtime.counters.restarts++;
        activity.pending = 'restart';
        activity.restartError = error;
        runtime.failed(failure);
        return true;
      case 'backing-off':
        runtime.counters.restarts++;
        activity.pending = 'restart';
        activity.restartError = error;
        this.#backOff(activity, nowMs, decision.delayMs);
        runtime.failed(failure);
        return false;
      case 'escalated':
        runtime.counters.escalations++;
        this.#finish('escalated');
        runtime.failed(failure);
        this.supervisor.escalate(failure);
        return false;
      case 'terminated':
        runtime.counters.terminations++;
        this.#finish('terminated');
        runtime.failed(failure);
        return false;
    }
  }

  #backOff(activity: Activity, nowMs: number, delayMs: number): void {
    this.#status = 'backoff';
    activity.backoffUntilMs = nowMs + delayMs;
    const abort = new AbortController();
    activity.backoffAbort = abort;
    void this.supervisor.runtime.clock.sleep(delayMs, abort.signal).then(
      () => {
        if (this.#status !== 'backoff') return;
        activity.backoffAbort = undefined;
        activity.backoffUntilMs = 0;
        this.#schedule();
      },
      // Aborted: the actor was stopped during its backoff and has finished already.
      () => undefined,
    );
  }

  #describe(
    phase: FailurePhase,
    error: unknown,
    decision: { outcome: FailureOutcome; delayMs: number; budgetExhausted: boolean },
  ): ActorFailure {
    return { actorId: this.id, supervisor: this.supervisor.name, phase, error, ...decision };
  }

  #schedule(): void {
    this.#status = 'scheduled';
    this.supervisor.runtime.scheduler.schedule(this);
  }

  #activate(): Activity {
    const activity = new Activity();
    this.#activity = activity;
    this.supervisor.runtime.counters.active++;
    return activity;
  }

  #goIdle(): void {
    this.#status = 'idle';
    this.#activity = undefined;
    this.supervisor.runtime.counters.active--;
  }

  /** The end: frees the id, drops what is queued, wakes whoever awaits the stop. */
  #finish(reason: 'stopped' | 'terminated' | 'escalated'): void {
    const runtime = this.supervisor.runtime;
    const activity = this.#activity;
    this.#status = 'stopped';
    this.#activity = undefined;
    this.#failures = undefined;
    runtime.unregister(this.id, this);
    runtime.counters.stopped++;
    if (activity === undefined) return;
    runtime.counters.active--;
    activity.backoffAbort?.abort();
    while (activity.mailbox.size > 0) runtime.dropped(this.id, activity.mailbox.shift(), reason);
    activity.settleStopped();
  }
}
