import { chain, type Interceptor, type Next } from '../interceptors.js';
import {
  type AbandonReplanInput,
  type ApprovalRecord,
  type ApprovalVote,
  type AttemptFailure,
  type Completion,
  type CompletionOptions,
  type Deferral,
  type EngineOptions,
  type GraphPatchInput,
  type GraphPatchResult,
  type SubmitGoalInput,
  type SubmittedGoal,
  TaskEngine,
} from './engine.js';
import type { ApprovalWaitInput } from './sql/approval-waits.js';
import type { ClaimedTask, GoalStatus } from './types.js';

/**
 * Interceptors around the engine's commands: the calls that change state on a caller's behalf
 * (submit a goal, claim, complete, fail, defer, wait for approval, cancel, decide an approval,
 * patch a live graph, give up a re-plan). Recovery sweeps
 * (dispatching due work, republishing, releasing leases, expiring approvals) are the kernel's own
 * repairs and are not intercepted. Each command has its typed input and output; an
 * `EngineInterceptor` wraps the commands it names, and `aroundEveryCommand` builds one that wraps
 * them all alike (tracing, metrics). Registered at composition (`createTaskKernel`), the first
 * outermost; an engine built without interceptors runs its commands directly.
 */
export interface ClaimCommand {
  readonly workerId: string;
  readonly taskIds: readonly string[];
  readonly leaseMs: number;
  /** Only tasks of these types; absent: any. */
  readonly types?: readonly string[];
}

export interface CancelTaskCommand {
  readonly taskId: string;
  readonly reason?: string;
}

export interface CancelGoalCommand {
  readonly goalId: string;
  readonly reason?: string;
}

/** Each command as its chain sees it: one input, one output. */
export interface EngineCommands {
  submitGoal(input: SubmitGoalInput): Promise<SubmittedGoal>;
  claim(input: ClaimCommand): Promise<ClaimedTask[]>;
  complete(input: readonly Completion[]): Promise<ReadonlySet<string>>;
  fail(input: readonly AttemptFailure[]): Promise<void>;
  defer(input: readonly Deferral[]): Promise<void>;
  awaitApproval(input: readonly ApprovalWaitInput[]): Promise<void>;
  cancelTask(input: CancelTaskCommand): Promise<boolean>;
  cancelGoal(input: CancelGoalCommand): Promise<GoalStatus>;
  decideApproval(input: ApprovalVote): Promise<ApprovalRecord>;
  extendGraph(input: GraphPatchInput): Promise<GraphPatchResult>;
  abandonReplan(input: AbandonReplanInput): Promise<number>;
}

export type CommandName = keyof EngineCommands;
export type CommandInput<K extends CommandName> = Parameters<EngineCommands[K]>[0];
export type CommandOutput<K extends CommandName> = EngineCommands[K] extends (
  input: never,
) => Promise<infer O>
  ? O
  : never;

export type EngineInterceptor = {
  readonly [K in CommandName]?: Interceptor<CommandInput<K>, CommandOutput<K>>;
};

export const COMMAND_NAMES: readonly CommandName[] = [
  'submitGoal',
  'claim',
  'complete',
  'fail',
  'defer',
  'awaitApproval',
  'cancelTask',
  'cancelGoal',
  'decideApproval',
  'extendGraph',
  'abandonReplan',
];

/** One interceptor for every command, told which command it wraps. */
export function aroundEveryCommand(
  around: <K extends CommandName>(
    command: K,
    input: CommandInput<K>,
    next: Next<CommandInput<K>, CommandOutput<K>>,
  ) => Promise<CommandOutput<K>>,
): EngineInterceptor {
  const wrap =
    <K extends CommandName>(command: K): Interceptor<CommandInput<K>, CommandOutput<K>> =>
    (input, next) =>
      around(command, input, next);
  return Object.fromEntries(COMMAND_NAMES.map((command) => [command, wrap(command)])) as EngineInterceptor;
}

function commandChain<K extends CommandName>(
  interceptors: readonly EngineInterceptor[],
  command: K,
  last: Next<CommandInput<K>, CommandOutput<K>>,
): Next<CommandInput<K>, CommandOutput<K>> {
  const around: Interceptor<CommandInput<K>, CommandOutput<K>>[] = [];
  for (const interceptor of interceptors) {
    const one = interceptor[command] as Interceptor<CommandInput<K>, CommandOutput<K>> | undefined;
    if (one !== undefined) around.push(one);
  }
  return chain(around, last);
}

/** The engine with its commands run through the interceptors' chains. */
export class InterceptedTaskEngine extends TaskEngine {
  readonly #submitGoal: Next<SubmitGoalInput, SubmittedGoal>;
  readonly #claim: Next<ClaimCommand, ClaimedTask[]>;
  readonly #complete: Next<readonly Completion[], ReadonlySet<string>>;
  readonly #completing = new WeakMap<readonly Completion[], CompletionOptions>();
  /** The `claim` chain over tasks a completion already claimed eagerly (see completeAndClaim). */
  readonly #eagerClaim: Next<ClaimCommand, ClaimedTask[]>;
  readonly #eagerlyClaimed = new WeakMap<ClaimCommand, ClaimedTask[]>();
  readonly #claimed = new WeakMap<readonly Completion[], ClaimedTask[]>();
  readonly #fail: Next<readonly AttemptFailure[], void>;
  readonly #defer: Next<readonly Deferral[], void>;
  readonly #awaitApproval: Next<readonly ApprovalWaitInput[], void>;
  readonly #cancelTask: Next<CancelTaskCommand, boolean>;
  readonly #cancelGoal: Next<CancelGoalCommand, GoalStatus>;
  readonly #decideApproval: Next<ApprovalVote, ApprovalRecord>;
  readonly #extendGraph: Next<GraphPatchInput, GraphPatchResult>;
  readonly #abandonReplan: Next<AbandonReplanInput, number>;

  constructor(options: EngineOptions, interceptors: readonly EngineInterceptor[]) {
    super(options);
    const around = <K extends CommandName>(
      command: K,
      last: Next<CommandInput<K>, CommandOutput<K>>,
    ): Next<CommandInput<K>, CommandOutput<K>> => commandChain(interceptors, command, last);
    this.#submitGoal = around('submitGoal', (input) => super.submitGoal(input));
    this.#claim = around('claim', (input) =>
      super.claim(input.workerId, input.taskIds, input.leaseMs, input.types),
    );
    // completeAndClaim runs through the `complete` chain: its options travel beside the
    // input (keyed by the very array), and the tasks it claimed come back the same way. An
    // interceptor that passes another array on claims nothing eagerly.
    this.#complete = around('complete', async (input) => {
      const { accepted, claimed } = await super.completeAndClaim(input, this.#completing.get(input));
      if (claimed.length > 0) this.#claimed.set(input, [...(this.#claimed.get(input) ?? []), ...claimed]);
      return accepted;
    });
    this.#eagerClaim = around('claim', async (input) => this.#eagerlyClaimed.get(input) ?? []);
    this.#fail = around('fail', (input) => super.fail(input));
    this.#defer = around('defer', (input) => super.defer(input));
    this.#awaitApproval = around('awaitApproval', (input) => super.awaitApproval(input));
    this.#cancelTask = around('cancelTask', (input) => super.cancelTask(input.taskId, input.reason));
    this.#cancelGoal = around('cancelGoal', (input) => super.cancelGoal(input.goalId, input.reason));
    this.#decideApproval = around('decideApproval', (input) => super.decideApproval(input));
    this.#extendGraph = around('extendGraph', (input) => super.extendGraph(input));
    this.#abandonReplan = around('abandonReplan', (input) => super.abandonReplan(input));
  }

  override submitGoal(input: SubmitGoalInput): Promise<SubmittedGoal> {
    return this.#submitGoal(input);
  }

  override claim(
    workerId: string,
    taskIds: readonly string[],
    leaseMs: number,
    types?: readonly string[],
  ): Promise<ClaimedTask[]> {
    return this.#claim({ workerId, taskIds, leaseMs, ...(types === undefined ? {} : { types }) });
  }

  override complete(completions: readonly Completion[]): Promise<ReadonlySet<string>> {
    return this.#complete(completions);
  }

  override async completeAndClaim(
    completions: readonly Completion[],
    options: CompletionOptions = {},
  ): Promise<{ readonly accepted: ReadonlySet<string>; readonly claimed: ClaimedTask[] }> {
    this.#completing.set(completions, options);
    const accepted = await this.#complete(completions);
    const claimed = this.#claimed.get(completions) ?? [];
    this.#claimed.delete(completions);
    const { eager } = options;
    if (claimed.length === 0 || eager === undefined) return { accepted, claimed };
    // The claim interceptors see the eager claim as a `claim` whose statement already ran (in the
    // completion's). A task one of them leaves out is not run here: its lease expires and the
    // lease sweep queues it again.
    const command: ClaimCommand = {
      workerId: eager.workerId,
      taskIds: claimed.map((task) => task.id),
      leaseMs: eager.leaseMs,
      types: eager.types,
    };
    this.#eagerlyClaimed.set(command, claimed);
    return { accepted, claimed: await this.#eagerClaim(command) };
  }

  override fail(failures: readonly AttemptFailure[]): Promise<void> {
    return this.#fail(failures);
  }

  override defer(deferrals: readonly Deferral[]): Promise<void> {
    return this.#defer(deferrals);
  }

  override awaitApproval(waits: readonly ApprovalWaitInput[]): Promise<void> {
    return this.#awaitApproval(waits);
  }

  override cancelTask(taskId: string, reason?: string): Promise<boolean> {
    return this.#cancelTask(reason === undefined ? { taskId } : { taskId, reason });
  }

  override cancelGoal(goalId: string, reason?: string): Promise<GoalStatus> {
    return this.#cancelGoal(reason === undefined ? { goalId } : { goalId, reason });
  }

  override decideApproval(vote: ApprovalVote): Promise<ApprovalRecord> {
    return this.#decideApproval(vote);
  }

  override extendGraph(input: GraphPatchInput): Promise<GraphPatchResult> {
    return this.#extendGraph(input);
  }

  override abandonReplan(input: AbandonReplanInput): Promise<number> {
    return this.#abandonReplan(input);
  }
}
