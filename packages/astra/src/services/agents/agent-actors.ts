import { AstraError } from '../../errors/index.js';
import {
  type ActorStats,
  type ActorSystem,
  createActorSystem,
  type SubmitGoalInput,
  type SubmittedGoal,
  type TaskEngine,
} from '../../kernel/index.js';
import type { Clock } from '../../time/clock.js';

/**
 * One actor per active agent. An agent's goals go through its actor's mailbox, so they are
 * admitted one at a time in the order they arrived; a full mailbox answers MailboxFull (429 with
 * Retry-After) without blocking the caller. A goal with an admission check holds the actor's turn
 * until that check has been sent inside its transaction, not until its goal is written: the check
 * locks the agent's row, so from there the database admits the goals one at a time in that order
 * while the next goal's transaction is already on its way (a turn per whole submission made one
 * agent's goals wait for each other's every round trip: 40 goals/s on Postgres at 16 clients). A goal
 * whose agent passes `admitWhen` is one statement and holds the turn for it. Actors are restored for every `active` agent at startup
 * and spawned when an agent is created. A failed submission is the caller's answer, not the
 * actor's failure: the actor keeps serving.
 */
interface GoalMessage {
  readonly input: SubmitGoalInput;
  readonly resolve: (goal: SubmittedGoal) => void;
  readonly reject: (error: unknown) => void;
}

export interface AgentActors {
  ensure(agentId: string): void;
  /** Stops the agent's actor (its queued goals are refused); a no-op when none runs. */
  retire(agentId: string): Promise<void>;
  submitGoal(input: SubmitGoalInput): Promise<SubmittedGoal>;
  count(): number;
  /** The actor system's counters and gauges (metrics read them on scrape). */
  stats(): ActorStats;
  stop(): Promise<void>;
}

export function createAgentActors(options: {
  engine: TaskEngine;
  clock: Clock;
  mailboxCapacity: number;
}): AgentActors {
  const system: ActorSystem = createActorSystem({
    clock: options.clock,
    mailboxCapacity: options.mailboxCapacity,
    // A goal still queued when its actor stops (agent deleted, shutdown) gets an answer, not silence.
    onDropped: (dropped) =>
      (dropped.message as GoalMessage).reject(
        new AstraError('ASTRA_SHUTTING_DOWN', 'the agent stopped before it admitted this goal'),
      ),
  });
  const behavior = {
    handler: (message: GoalMessage) =>
      new Promise<void>((endTurn) => {
        const { admit } = message.input;
        const input: SubmitGoalInput =
          admit === undefined
            ? message.input
            : {
                ...message.input,
                admit: (tx) => {
                  const checked = admit(tx);
                  endTurn();
                  return checked;
                },
              };
        options.engine.submitGoal(input).then(message.resolve, message.reject).finally(endTurn);
      }),
  };
  const ensure = (agentId: string): void => {
    if (system.lookup(agentId) === undefined) system.spawn({ id: agentId, behavior });
  };
  return {
    ensure,
    retire: async (agentId) => {
      if (system.lookup(agentId) !== undefined) await system.stop(agentId);
    },
    submitGoal: (input) =>
      new Promise<SubmittedGoal>((resolve, reject) => {
        const actor = system.lookup<GoalMessage>(input.agentId);
        if (actor === undefined) {
          reject(new AstraError('ASTRA_STATE_CONFLICT', `agent ${input.agentId} is not active`));
          return;
        }
        actor.send({ input, resolve, reject });
      }),
    count: () => system.count(),
    stats: () => system.stats(),
    stop: () => system.stopAll(),
  };
}
