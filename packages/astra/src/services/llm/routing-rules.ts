import type { ModelEntry, ModelTier } from './attempt.js';
import type { ModelCatalog } from './catalog.js';

/**
 * Routing rules: which models a call tries, in order.
 *
 * The chain is the requested model first (the call's `model`, else the agent's configured model or
 * tier), then the `use` list of the first rule whose `when` matches, each entry expanded by the
 * catalog (an alias, a tier's models, a `provider/model`), without repeats. A rule matches when
 * every condition it sets holds: the task type (the call's `taskType`, else `scope.purpose`), the
 * requested tier (named directly, or the tier of the requested model), the input token estimate
 * within `[minInputTokens, maxInputTokens]`, the agent. Rule entries this node cannot serve (a
 * provider it does not have) are passed over; a requested ref it cannot serve is
 * ASTRA_LLM_REQUEST_INVALID. No rule matching and nothing requested is an empty chain
 * (ASTRA_LLM_NO_CAPABLE_MODEL).
 */
export interface RoutingRule {
  readonly name?: string | undefined;
  readonly when?:
    | {
        readonly taskType?: string | readonly string[] | undefined;
        readonly tier?: ModelTier | readonly ModelTier[] | undefined;
        readonly minInputTokens?: number | undefined;
        readonly maxInputTokens?: number | undefined;
        readonly agentId?: string | readonly string[] | undefined;
      }
    | undefined;
  /** Model refs, aliases or tiers, tried in this order. */
  readonly use: readonly string[];
}

export interface RouteInput {
  readonly taskType: string;
  /** A model ref, alias or tier asked for by the call or the agent; null: the rules decide. */
  readonly requested: string | null;
  readonly inputTokens: number;
  readonly agentId: string | null;
}

export function candidateChain(
  catalog: ModelCatalog,
  rules: readonly RoutingRule[],
  input: RouteInput,
): readonly ModelEntry[] {
  const requested = input.requested === null ? [] : catalog.resolve(input.requested);
  const tier =
    input.requested === null ? null : (catalog.tierOf(input.requested) ?? requested[0]?.tier ?? null);
  const rule = rules.find((candidate) => matches(candidate, input, tier));
  const chain = new Map<string, ModelEntry>();
  for (const model of requested) chain.set(model.ref, model);
  for (const ref of rule?.use ?? [])
    for (const model of catalog.resolveAvailable(ref)) if (!chain.has(model.ref)) chain.set(model.ref, model);
  return [...chain.values()];
}

function matches(rule: RoutingRule, input: RouteInput, tier: ModelTier | null): boolean {
  const when = rule.when;
  if (when === undefined) return true;
  if (when.taskType !== undefined && !oneOf(when.taskType, input.taskType)) return false;
  if (when.tier !== undefined && (tier === null || !oneOf(when.tier, tier))) return false;
  if (when.minInputTokens !== undefined && input.inputTokens < when.minInputTokens) return false;
  if (when.maxInputTokens !== undefined && input.inputTokens > when.maxInputTokens) return false;
  if (when.agentId !== undefined && (input.agentId === null || !oneOf(when.agentId, input.agentId)))
    return false;
  return true;
}

function oneOf<T extends string>(allowed: T | readonly T[], value: T): boolean {
  return typeof allowed === 'string' ? allowed === value : allowed.includes(value);
}
