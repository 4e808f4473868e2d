import { AstraError } from '../../errors/index.js';
import type { LlmUsage } from '../../ports/llm.js';
import v20241001 from './prices/2024-10-01.json' with { type: 'json' };
import v20250807 from './prices/2025-08-07.json' with { type: 'json' };

/**
 * The vendored price table: USD per million tokens (input, cached input, output) per model, in
 * dated versions (`prices/<YYYY-MM-DD>.json`, each saying when and where its prices were taken).
 * A version applies from its `effective_from` until the next one's, so pricing a past call at its
 * own time gives the price it had then, whatever was added since: a past run's cost is
 * reproducible offline.
 *
 * - A model is looked up by the name after `provider/`, exactly, or as a dated or tagged variant
 *   of a listed name (`gpt-4o-mini-2024-07-18`, `claude-3-5-sonnet-latest`): the longest listed
 *   name followed by `-` wins. Vendors' sections are for reading; any provider name finds them
 *   (an OpenAI-compatible endpoint named `azure` serving `gpt-4o` is priced as gpt-4o).
 * - Models of a local provider (Ollama, vLLM, llama.cpp, LM Studio, MLX) cost 0 and are priced.
 * - Any other model costs the table's `unknownModel` rate (default 0) and is flagged `priced: false`.
 * - Cached input tokens are part of `inputTokens` (OpenAI's convention; providers that report
 *   them apart add them in) and are billed at the cached rate, the rest at the input rate. Usage
 *   counted by Astra (an aborted stream) is priced like reported usage.
 */
export interface ModelPrice {
  readonly input: number;
  readonly cached_input: number;
  readonly output: number;
}

export interface PriceVersion {
  readonly version: string;
  readonly effective_from: string;
  readonly taken: string;
  readonly unit: string;
  readonly local_providers: readonly string[];
  readonly models: Readonly<Record<string, Readonly<Record<string, ModelPrice>>>>;
}

export interface Price {
  /** Cost in billionths of a dollar (integers add up exactly; the ledger counts in these). */
  readonly nanoUsd: number;
  readonly costUsd: number;
  /** False when the model is in no version of the table (priced at the unknown-model rate). */
  readonly priced: boolean;
  /** The table version the price came from. */
  readonly version: string;
}

export interface PriceTableOptions {
  /** Versions of the table; default the vendored ones. */
  readonly versions?: readonly PriceVersion[];
  /** The rate of a model no version lists; default 0 (free, flagged `priced: false`). */
  readonly unknownModel?: ModelPrice;
}

export interface PriceTable {
  /** The cost of `usage` on `modelRef` (`provider/model`) under the version in force at `at` (default now). */
  priceOf(modelRef: string, usage: LlmUsage, at?: Date): Price;
  /** The rate and version of `modelRef` at `at`; `rate` null when the model is unknown. */
  rateOf(modelRef: string, at?: Date): { readonly rate: ModelPrice | null; readonly version: string };
  readonly versions: readonly PriceVersion[];
}

export const VENDORED_PRICES: readonly PriceVersion[] = [v20241001, v20250807];

const FREE: ModelPrice = { input: 0, cached_input: 0, output: 0 };

interface CompiledVersion {
  readonly version: string;
  readonly fromMs: number;
  readonly local: ReadonlySet<string>;
  readonly models: ReadonlyMap<string, ModelPrice>;
  /** Listed names, longest first, for the variant lookup. */
  readonly names: readonly string[];
}

function compile(version: PriceVersion): CompiledVersion {
  const fromMs = Date.parse(version.effective_from);
  const models = new Map<string, ModelPrice>();
  for (const vendor of Object.values(version.models))
    for (const [name, price] of Object.entries(vendor)) {
      for (const rate of [price.input, price.cached_input, price.output])
        if (!(Number.isFinite(rate) && rate >= 0))
          throw new AstraError(
            'ASTRA_CONFIG_INVALID',
            `price table ${version.version}: ${name} has a bad rate`,
          );
      models.set(name, price);
    }
  if (!Number.isFinite(fromMs))
    throw new AstraError('ASTRA_CONFIG_INVALID', `price table ${version.version}: bad effective_from`);
  return {
    version: version.version,
    fromMs,
    local: new Set(version.local_providers),
    models,
    names: [...models.keys()].sort((a, b) => b.length - a.length),
  };
}

function splitRef(modelRef: string): { provider: string; model: string } {
  const slash = modelRef.indexOf('/');
  return slash < 0
    ? { provider: '', model: modelRef }
    : { provider: modelRef.slice(0, slash), model: modelRef.slice(slash + 1) };
}

function lookup(version: CompiledVersion, model: string): ModelPrice | null {
  const exact = version.models.get(model);
  if (exact !== undefined) return exact;
  const name = version.names.find((listed) => model.startsWith(`${listed}-`));
  return name === undefined ? null : (version.models.get(name) ?? null);
}

/** Nano-dollars per token of a USD-per-million rate (a rate with up to 3 decimals gives an integer). */
const nanoPerToken = (usdPerMillion: number): number => Math.round(usdPerMillion * 1e6) / 1e3;

export function nanoUsdOf(rate: ModelPrice, usage: LlmUsage): number {
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  return Math.round(
    (usage.inputTokens - cached) * nanoPerToken(rate.input) +
      cached * nanoPerToken(rate.cached_input) +
      usage.outputTokens * nanoPerToken(rate.output),
  );
}

export function createPriceTable(options: PriceTableOptions = {}): PriceTable {
  const versions = [...(options.versions ?? VENDORED_PRICES)];
  if (versions.length === 0) throw new AstraError('ASTRA_CONFIG_INVALID', 'the price table has no version');
  const compiled = versions.map(compile).sort((a, b) => a.fromMs - b.fromMs);
  const unknown = options.unknownModel ?? FREE;
  const inForce = (at: Date): CompiledVersion => {
    const ms = at.getTime();
    let chosen = compiled[0] as CompiledVersion;
    for (const version of compiled) if (version.fromMs <= ms) chosen = version;
    return chosen;
  };
  const rateOf = (modelRef: string, at: Date = new Date()) => {
    const version = inForce(at);
    const { provider, model } = splitRef(modelRef);
    const rate = version.local.has(provider) ? FREE : lookup(version, model);
    return { rate, version: version.version };
  };
  return {
    versions,
    rateOf,
    priceOf(modelRef, usage, at = new Date()) {
      const { rate, version } = rateOf(modelRef, at);
      const nanoUsd = nanoUsdOf(rate ?? unknown, usage);
      return { nanoUsd, costUsd: nanoUsd / 1e9, priced: rate !== null, version };
    },
  };
}
