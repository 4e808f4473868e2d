import { AstraError } from '../../errors/index.js';
import { MODEL_TIERS, type ModelCapabilities, type ModelEntry, type ModelTier } from './attempt.js';

/**
 * The model catalog: which models the router may use, what each can do, and the names callers use
 * for them. A ref is resolved in this order:
 * 1. an alias (`fast` → `openai/gpt-4o-mini`; an alias may name a tier or another alias);
 * 2. a tier (`local`, `standard`, `premium`): every catalog model of that tier, in catalog order;
 * 3. `provider/name`: the catalog's entry, or, for a configured provider, an entry with
 *    `unlisted` capabilities (a model the catalog does not list is still callable by name).
 * Anything else is ASTRA_LLM_REQUEST_INVALID (details.model).
 */
export interface ModelSpec {
  /** `provider/name`. */
  readonly ref: string;
  readonly tier: ModelTier;
  readonly tools?: boolean | undefined;
  readonly jsonSchema?: boolean | undefined;
  readonly contextTokens?: number | undefined;
  readonly maxOutputTokens?: number | undefined;
}

export function parseModelRef(ref: string): { provider: string; name: string } | null {
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1) return null;
  return { provider: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

/** A spec as a catalog entry; missing capabilities take `fallback`'s. */
export function modelEntry(spec: ModelSpec, fallback: ModelCapabilities): ModelEntry {
  const parsed = parseModelRef(spec.ref);
  if (parsed === null)
    throw new AstraError('ASTRA_CONFIG_INVALID', `model ref ${spec.ref} is not provider/model`, {
      details: { model: spec.ref },
    });
  return {
    ref: spec.ref,
    provider: parsed.provider,
    name: parsed.name,
    tier: spec.tier,
    capabilities: {
      tools: spec.tools ?? fallback.tools,
      jsonSchema: spec.jsonSchema ?? fallback.jsonSchema,
      contextTokens: spec.contextTokens ?? fallback.contextTokens,
      maxOutputTokens: spec.maxOutputTokens ?? fallback.maxOutputTokens,
    },
  };
}

const MAX_ALIAS_DEPTH = 8;

export class ModelCatalog {
  readonly models: readonly ModelEntry[];
  readonly #byRef: ReadonlyMap<string, ModelEntry>;
  readonly #aliases: Readonly<Record<string, string>>;
  readonly #providers: ReadonlySet<string>;
  readonly #unlisted: ModelCapabilities;

  constructor(options: {
    readonly models: readonly ModelEntry[];
    readonly aliases: Readonly<Record<string, string>>;
    readonly providers: readonly string[];
    readonly unlisted: ModelCapabilities;
  }) {
    this.#providers = new Set(options.providers);
    // Models of providers this node does not have are left out: they could never answer.
    this.models = options.models.filter((model) => this.#providers.has(model.provider));
    this.#byRef = new Map(this.models.map((model) => [model.ref, model]));
    this.#aliases = options.aliases;
    this.#unlisted = options.unlisted;
  }

  /** The tier a ref names (directly or through aliases), or null for a concrete model. */
  tierOf(ref: string): ModelTier | null {
    const target = this.#dealias(ref);
    return isTier(target) ? target : null;
  }

  /** The models a ref stands for, in order; ASTRA_LLM_REQUEST_INVALID for an unknown one. */
  resolve(ref: string): readonly ModelEntry[] {
    const target = this.#dealias(ref);
    if (isTier(target)) return this.models.filter((model) => model.tier === target);
    const known = this.#byRef.get(target);
    if (known !== undefined) return [known];
    const parsed = parseModelRef(target);
    if (parsed !== null && this.#providers.has(parsed.provider))
      return [modelEntry({ ref: target, tier: 'standard' }, this.#unlisted)];
    throw new AstraError(
      'ASTRA_LLM_REQUEST_INVALID',
      `unknown model ${ref}: not an alias, a tier (${MODEL_TIERS.join(', ')}) or provider/model of a configured provider`,
      { details: { model: ref } },
    );
  }

  /** Like `resolve`, but [] for a ref this node cannot serve (a rule naming an absent provider). */
  resolveAvailable(ref: string): readonly ModelEntry[] {
    try {
      return this.resolve(ref);
    } catch {
      return [];
    }
  }

  #dealias(ref: string): string {
    let target = ref;
    for (let depth = 0; depth < MAX_ALIAS_DEPTH; depth++) {
      if (!Object.hasOwn(this.#aliases, target)) return target;
      target = this.#aliases[target] as string;
    }
    throw new AstraError('ASTRA_LLM_REQUEST_INVALID', `alias ${ref} does not resolve (a loop?)`, {
      details: { model: ref },
    });
  }
}

function isTier(value: string): value is ModelTier {
  return (MODEL_TIERS as readonly string[]).includes(value);
}
