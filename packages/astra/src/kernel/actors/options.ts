import { AstraError } from '../../errors/index.js';
import { type Clock, systemClock } from '../../time/clock.js';
import type {
  ActorFailure,
  ActorSystemOptions,
  AnyBehavior,
  BackoffOptions,
  DroppedMessage,
  RestartBudget,
  SupervisionPolicy,
} from './types.js';

export const DEFAULT_MAILBOX_CAPACITY = 1024;
export const DEFAULT_RESTART_BUDGET: RestartBudget = { maxRestarts: 10, windowMs: 60_000 };
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 30_000 };

const POLICIES: readonly SupervisionPolicy[] = ['restart', 'restart-with-backoff', 'escalate', 'terminate'];

export interface ResolvedActorSystemOptions {
  readonly clock: Clock;
  readonly mailboxCapacity: number;
  readonly policy: SupervisionPolicy;
  readonly restartBudget: RestartBudget;
  readonly backoff: BackoffOptions;
  readonly retryAfterFloorMs: number;
  readonly retryAfterDefaultMs: number;
  readonly onDropped: (dropped: DroppedMessage) => void;
  readonly onFailure: (failure: ActorFailure) => void;
  readonly onEscalate: (failure: ActorFailure) => void;
}

/** Applies defaults in one place and rejects nonsense before any actor exists. */
export function resolveActorSystemOptions(options: ActorSystemOptions): ResolvedActorSystemOptions {
  const resolved: ResolvedActorSystemOptions = {
    clock: options.clock ?? systemClock,
    mailboxCapacity: options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
    policy: options.policy ?? 'restart',
    restartBudget: options.restartBudget ?? DEFAULT_RESTART_BUDGET,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    retryAfterFloorMs: options.retryAfterFloorMs ?? 5,
    retryAfterDefaultMs: options.retryAfterDefaultMs ?? 100,
    onDropped: options.onDropped ?? (() => undefined),
    onFailure: options.onFailure ?? (() => undefined),
    onEscalate: options.onEscalate ?? (() => undefined),
  };
  const problems: (string | false)[] = [
    !isPositiveInt(resolved.mailboxCapacity) && 'mailboxCapacity must be a positive integer',
    !isPolicy(resolved.policy) && `policy must be one of ${POLICIES.join(', ')}`,
    ...budgetProblems(resolved.restartBudget),
    ...backoffProblems(resolved.backoff),
    !isNonNegativeInt(resolved.retryAfterFloorMs) && 'retryAfterFloorMs must be a non-negative integer',
    !isPositiveInt(resolved.retryAfterDefaultMs) && 'retryAfterDefaultMs must be a positive integer',
  ];
  reject('ASTRA_CONFIG_INVALID', 'actor system options', problems);
  return resolved;
}

export interface ResolvedSupervision {
  readonly policy: SupervisionPolicy;
  readonly restartBudget: RestartBudget;
  readonly backoff: BackoffOptions;
}

export function checkSupervision(name: string, supervision: ResolvedSupervision): void {
  reject('ASTRA_CONFIG_INVALID', `supervisor "${name}" options`, [
    name.length === 0 && 'name must be non-empty',
    !isPolicy(supervision.policy) && `policy must be one of ${POLICIES.join(', ')}`,
    ...budgetProblems(supervision.restartBudget),
    ...backoffProblems(supervision.backoff),
  ]);
}

/** Checked at every spawn: a few comparisons, cheaper than remembering which behaviors were checked. */
export function checkBehavior(id: string, behavior: AnyBehavior): void {
  reject('ASTRA_VALIDATION_FAILED', `actor "${id}"`, [
    id.length === 0 && 'id must be a non-empty string',
    typeof behavior.handler !== 'function' && 'behavior.handler must be a function',
    behavior.policy !== undefined &&
      !isPolicy(behavior.policy) &&
      `behavior.policy must be one of ${POLICIES.join(', ')}`,
    behavior.mailboxCapacity !== undefined &&
      !isPositiveInt(behavior.mailboxCapacity) &&
      'behavior.mailboxCapacity must be a positive integer',
  ]);
}

function budgetProblems(budget: RestartBudget): (string | false)[] {
  return [
    !isNonNegativeInt(budget.maxRestarts) && 'restartBudget.maxRestarts must be a non-negative integer',
    !isPositiveInt(budget.windowMs) && 'restartBudget.windowMs must be a positive integer',
  ];
}

function backoffProblems(backoff: BackoffOptions): (string | false)[] {
  return [
    !isPositiveInt(backoff.initialMs) && 'backoff.initialMs must be a positive integer',
    !(isPositiveInt(backoff.maxMs) && backoff.maxMs >= backoff.initialMs) &&
      'backoff.maxMs must be an integer at least initialMs',
  ];
}

/** Options are configuration (ASTRA_CONFIG_INVALID); a spawn's id and behavior are input (ASTRA_VALIDATION_FAILED). */
function reject(
  code: 'ASTRA_CONFIG_INVALID' | 'ASTRA_VALIDATION_FAILED',
  subject: string,
  problems: readonly (string | false)[],
): void {
  const found = problems.filter((problem): problem is string => typeof problem === 'string');
  if (found.length > 0) throw new AstraError(code, `Invalid ${subject}: ${found.join('; ')}.`);
}

function isPolicy(value: string): value is SupervisionPolicy {
  return (POLICIES as readonly string[]).includes(value);
}

function isPositiveInt(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1;
}

function isNonNegativeInt(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
