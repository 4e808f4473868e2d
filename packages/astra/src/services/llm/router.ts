import { AstraError, isAstraError } from '../../errors/index.js';
import { chain, type Interceptor } from '../../kernel/index.js';
import type { Logger } from '../../log/logger.js';
import type { Cache } from '../../ports/cache.js';
import {
  type LlmCall,
  type LlmClient,
  type LlmProvider,
  LlmProviderError,
  type LlmProviderKind,
  type LlmRequest,
  type LlmResult,
  type LlmScope,
  type LlmUsage,
  NO_USAGE,
} from '../../ports/llm.js';
import type { LlmLimiter } from '../../ports/llm-limiter.js';
import type { Clock } from '../../time/clock.js';
import type { LlmAttempt, LlmAttemptResult, ModelEntry } from './attempt.js';
import { attemptRunner } from './attempt-runner.js';
import { type AttemptRecord, callFailure, failureDetails } from './call-failure.js';
import { describeNeeds, lacking, needsOf } from './capabilities.js';
import { ModelCatalog, type ModelSpec, modelEntry } from './catalog.js';
import { type BreakerState, ProviderBreaker } from './provider-breaker.js';
import { type CacheStats, cacheableCall, ResponseCache, responseCacheKey } from './response-cache.js';
import { type BreakerOptions, LLM_ROUTER_DEFAULTS, type RetryOptions } from './router-defaults.js';
import { candidateChain, type RoutingRule } from './routing-rules.js';
import { parseStructured } from './structured-output.js';
import { estimateInputTokens } from './tokens.js';

/**
 * The LLM router: one `complete` that picks models, falls back, retries, caches and limits, inside
 * the worker (a library, no network hop).
 *
 * A call, step by step:
 * 1. Its candidates: the routing rules' chain (routing-rules.ts) with the models that lack what the
 *    request needs removed (capabilities.ts); none left is ASTRA_LLM_NO_CAPABLE_MODEL (details.needs).
 * 2. Each candidate in order gets one attempt, unless its provider's breaker is open (skipped), its
 *    provider refused our credentials earlier in the call, or a smaller model already ran out of
 *    context. An attempt runs through the attempt interceptors, then cache, limiter and provider
 *    (attempt-runner.ts).
 * 3. Outcomes: an answer ends the call. 429, 5xx, network, timeout and the router's own limits go to
 *    the next candidate at once, never waiting for a retry-after while another candidate is left;
 *    auth skips the rest of that provider; context_length goes on only to models with a larger
 *    window; unsupported goes on; invalid_request ends the call (ASTRA_LLM_REQUEST_INVALID); an
 *    abort ends it (ASTRA_LLM_CANCELLED). An error an interceptor raises (a budget) ends it as is.
 * 4. When every candidate has failed: retries, at most `retry.maxRetries` attempts and
 *    `retry.maxWaitMs` of waiting in all, each candidate that failed retryably becoming due at its
 *    `retry-after` (or the doubling backoff); a wait past the budget ends the call at once.
 *    Then the call fails as call-failure.ts says.
 * 5. Streaming: `onEvent` gets each event of an attempt as it arrives. Once an event has reached
 *    it, the call is committed to that attempt: a failure later in its stream ends the call (no
 *    fallback would make sense to a reader who has seen half an answer). Without `onEvent` a broken
 *    stream falls back like any failure.
 * 6. Structured output is checked (structured-output.ts); an answer at temperature 0 is stored in
 *    the response cache once it passed.
 * The result's `usage` and `costUsd` add up every attempt of the call (a broken stream's tokens
 * are spent too); `attempts` lists each with its outcome, usage and latency.
 */
export interface LlmRouterOptions {
  readonly providers: readonly LlmProvider[];
  /** The catalog: entries, or the config's specs (capabilities default to `unlistedModel`). */
  readonly models: readonly (ModelEntry | ModelSpec)[];
  readonly aliases?: Readonly<Record<string, string>>;
  /** Default LLM_ROUTER_DEFAULTS.rules. */
  readonly rules?: readonly RoutingRule[];
  readonly cache?: Cache;
  readonly cacheTtlMs?: number;
  readonly limiter?: LlmLimiter;
  /** The caller key the limiter's `key` limits count by. Default: the call's org. */
  readonly limitKey?: (call: LlmCall) => string | null;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly attemptInterceptors?: readonly Interceptor<LlmAttempt, LlmAttemptResult>[];
  /** Dollars for `usage` of `model` (`provider/model`). Default 0. */
  readonly price?: (model: string, usage: LlmUsage) => number;
  readonly retry?: Partial<RetryOptions>;
  readonly breaker?: Partial<BreakerOptions>;
  readonly maxOutputTokens?: number;
  /** The agent's configured model, alias or tier (its `config.llm`), asked when the call names none. */
  readonly agentModel?: (scope: LlmScope) => string | null | Promise<string | null>;
}

export interface RouterAttempt extends AttemptRecord {}

export interface RouterResult extends LlmResult {
  readonly attempts: readonly RouterAttempt[];
}

export interface RouterStats extends CacheStats {
  readonly breakers: Readonly<Record<string, BreakerState>>;
}

export interface LlmRouter extends LlmClient {
  complete(call: LlmCall): Promise<RouterResult>;
  stats(): RouterStats;
  readonly catalog: ModelCatalog;
}

type Classified = 'fallback' | 'auth' | 'context' | 'skip';

export function createLlmRouter(options: LlmRouterOptions): LlmRouter {
  const clock = options.clock;
  const retry: RetryOptions = { ...LLM_ROUTER_DEFAULTS.retry, ...options.retry };
  const breakerOptions: BreakerOptions = { ...LLM_ROUTER_DEFAULTS.breaker, ...options.breaker };
  const maxOutputTokens = options.maxOutputTokens ?? LLM_ROUTER_DEFAULTS.maxOutputTokens;
  const providers = new Map(options.providers.map((provider) => [provider.name, provider]));
  const breakers = new Map(
    options.providers.map((provider) => [provider.name, new ProviderBreaker(breakerOptions, clock)]),
  );
  const catalog = new ModelCatalog({
    models: options.models.map((model) =>
      'capabilities' in model ? model : modelEntry(model, LLM_ROUTER_DEFAULTS.unlistedModel),
    ),
    aliases: options.aliases ?? {},
    providers: [...providers.keys()],
    unlisted: LLM_ROUTER_DEFAULTS.unlistedModel,
  });
  const rules = options.rules ?? LLM_ROUTER_DEFAULTS.rules;
  const cache =
    options.cache === undefined
      ? null
      : new ResponseCache(
          options.cache,
          options.cacheTtlMs ?? LLM_ROUTER_DEFAULTS.cacheTtlMs,
          options.logger,
        );
  const price = options.price ?? (() => 0);
  const parts = {
    providers,
    clock,
    cache,
    limiter: options.limiter ?? null,
    limitKey: options.limitKey ?? ((call: LlmCall) => call.scope.orgId),
    logger: options.logger,
  };
  const interceptors = options.attemptInterceptors ?? [];

  async function candidatesOf(call: LlmCall, inputTokens: number): Promise<readonly ModelEntry[]> {
    const requested = call.model ?? (await options.agentModel?.(call.scope)) ?? null;
    const chained = candidateChain(catalog, rules, {
      taskType: call.taskType ?? call.scope.purpose,
      requested,
      inputTokens,
      agentId: call.scope.agentId,
    });
    const needs = needsOf(call, inputTokens);
    const capable = chained.filter((model) => lacking(model, needs).length === 0);
    if (capable.length === 0)
      throw new AstraError(
        'ASTRA_LLM_NO_CAPABLE_MODEL',
        `no model can serve this call (it needs ${describeNeeds(needs)}; candidates: ${
          chained.map((model) => model.ref).join(', ') || 'none'
        })`,
        { details: { needs: describeNeeds(needs), candidates: chained.map((model) => model.ref).join(',') } },
      );
    return capable;
  }

  /**
   * What the provider is sent. The output cap is the call's (or the router's default when it sets
   * none, then also cut to what the model's window leaves after the input), never above the model's.
   */
  function requestFor(call: LlmCall, model: ModelEntry, inputTokens: number): LlmRequest {
    const room = Math.max(1, model.capabilities.contextTokens - inputTokens);
    const cap = Math.min(
      call.maxOutputTokens ?? Math.min(maxOutputTokens, room),
      model.capabilities.maxOutputTokens,
    );
    return {
      model: model.name,
      messages: call.messages,
      ...(call.tools === undefined ? {} : { tools: call.tools }),
      ...(call.toolChoice === undefined ? {} : { toolChoice: call.toolChoice }),
      ...(call.responseFormat === undefined ? {} : { responseFormat: call.responseFormat }),
      ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
      ...(call.stop === undefined ? {} : { stop: call.stop }),
      maxOutputTokens: cap,
    };
  }

  async function complete(call: LlmCall): Promise<RouterResult> {
    const started = clock.now();
    if (providers.size === 0) throw new AstraError('ASTRA_LLM_NO_PROVIDER');
    const records: AttemptRecord[] = [];
    const cancelled = (): AstraError =>
      new AstraError('ASTRA_LLM_CANCELLED', undefined, { details: failureDetails(records) });
    if (call.signal?.aborted) throw cancelled();
    const inputTokens = estimateInputTokens(call);
    const candidates = await candidatesOf(call, inputTokens);
    const authFailed = new Set<string>();
    let outOfContextAt = 0;
    const due = new Map<string, { model: ModelEntry; atMs: number }>();
    let round = candidates;
    let retriesLeft = retry.maxRetries;
    let waitedMs = 0;
    let index = 0;

    for (let retryRound = 0; ; retryRound++) {
      for (const model of round) {
        if (authFailed.has(model.provider) || model.capabilities.contextTokens <= outOfContextAt) continue;
        const breaker = breakers.get(model.provider) as ProviderBreaker;
        const admission = breaker.admit();
        if (admission === 'skip') {
          const reopensInMs = breaker.reopensInMs();
          records.push(record(model.ref, 'circuit_open', NO_USAGE, reopensInMs, 0));
          due.set(model.ref, { model, atMs: clock.now() + reopensInMs });
          continue;
        }
        const request = requestFor(call, model, inputTokens);
        const attempt: LlmAttempt = {
          call,
          model,
          request,
          estimate: { inputTokens, maxOutputTokens: request.maxOutputTokens as number },
          index: index++,
        };
        const state = { forwarded: false };
        const attemptStarted = clock.now();
        try {
          const answer = await chain(interceptors, attemptRunner(parts, state))(attempt);
          breaker.settle(admission, answer.cacheHit ? 'neutral' : 'ok');
          records.push(record(model.ref, 'ok', answer.usage, null, answer.latencyMs));
          return await finish(call, attempt, answer, records, started);
        } catch (error) {
          if (!(error instanceof LlmProviderError) && !isLimiterRefusal(error)) {
            breaker.settle(admission, 'neutral');
            throw error;
          }
          const outcome = error instanceof LlmProviderError ? error.kind : 'limited';
          const usage = error instanceof LlmProviderError ? error.usage : NO_USAGE;
          const retryAfterMs =
            error instanceof LlmProviderError ? error.retryAfterMs : (error.details.retryAfterMs as number);
          const counts = outcome === 'server' || outcome === 'network' || outcome === 'timeout';
          breaker.settle(admission, counts ? 'failure' : 'neutral');
          records.push(record(model.ref, outcome, usage, retryAfterMs, clock.now() - attemptStarted));
          options.logger?.warn({ model: model.ref, outcome, attempt: attempt.index }, 'llm attempt failed');
          if (call.signal?.aborted || outcome === 'aborted') throw cancelled();
          if (outcome === 'invalid_request')
            throw new AstraError(
              'ASTRA_LLM_REQUEST_INVALID',
              `${model.ref} rejected the request: ${error.message}`,
              {
                details: { ...failureDetails(records), model: model.ref },
              },
            );
          // Part of this answer has been shown: the call stands or falls with it.
          if (state.forwarded) throw callFailure([records.at(-1) as AttemptRecord], retry.backoffMs);
          const kind = classify(outcome);
          if (kind === 'auth') authFailed.add(model.provider);
          else if (kind === 'context')
            outOfContextAt = Math.max(outOfContextAt, model.capabilities.contextTokens);
          else if (kind === 'fallback')
            due.set(model.ref, {
              model,
              atMs: clock.now() + (retryAfterMs ?? retry.backoffMs * 2 ** retryRound),
            });
        }
      }
      // Every candidate of this round failed: retry the soonest due, within the budget.
      const next = Math.min(...[...due.values()].map((entry) => entry.atMs));
      const waitMs = Math.max(0, next - clock.now());
      if (due.size === 0 || retriesLeft === 0 || waitedMs + waitMs > retry.maxWaitMs)
        throw callFailure(records, retry.backoffMs);
      if (waitMs > 0) {
        try {
          await clock.sleep(waitMs, call.signal);
        } catch {
          throw cancelled();
        }
        waitedMs += waitMs;
      }
      const now = clock.now();
      round = candidates.filter((model) => (due.get(model.ref)?.atMs ?? Number.POSITIVE_INFINITY) <= now);
      round = round.slice(0, retriesLeft);
      retriesLeft -= round.length;
      for (const model of round) due.delete(model.ref);
    }
  }

  async function finish(
    call: LlmCall,
    attempt: LlmAttempt,
    answer: LlmAttemptResult,
    records: readonly AttemptRecord[],
    started: number,
  ): Promise<RouterResult> {
    const json =
      call.responseFormat === undefined
        ? undefined
        : parseStructured(call.responseFormat, answer.text, answer.model);
    if (!answer.cacheHit && cache !== null && cacheableCall(call) && answer.finishReason !== 'length')
      await cache.set(responseCacheKey(attempt.model.ref, attempt.request), {
        text: answer.text,
        toolCalls: answer.toolCalls,
        finishReason: answer.finishReason,
        model: answer.model,
      });
    const usage = records.reduce<LlmUsage>(
      (sum, entry) => ({
        inputTokens: sum.inputTokens + entry.usage.inputTokens,
        outputTokens: sum.outputTokens + entry.usage.outputTokens,
        cachedInputTokens: sum.cachedInputTokens + entry.usage.cachedInputTokens,
        estimated: sum.estimated || entry.usage.estimated,
      }),
      NO_USAGE,
    );
    const costUsd = records.reduce(
      (sum, entry) => sum + (entry.outcome === 'circuit_open' ? 0 : price(entry.model, entry.usage)),
      0,
    );
    return {
      text: answer.text,
      toolCalls: answer.toolCalls,
      ...(json === undefined ? {} : { json }),
      finishReason: answer.finishReason,
      model: answer.model,
      usage,
      costUsd,
      cacheHit: answer.cacheHit,
      latencyMs: clock.now() - started,
      attempts: records,
    };
  }

  return {
    catalog,
    complete,
    providers: (): { name: string; kind: LlmProviderKind }[] =>
      options.providers.map((provider) => ({ name: provider.name, kind: provider.kind })),
    stats: (): RouterStats => ({
      ...(cache?.stats() ?? { hits: 0, misses: 0, byModel: {} }),
      breakers: Object.fromEntries([...breakers].map(([name, breaker]) => [name, breaker.state()])),
    }),
  };
}

function record(
  model: string,
  outcome: string,
  usage: LlmUsage,
  retryAfterMs: number | null,
  latencyMs: number,
): AttemptRecord {
  return { model, outcome, usage, retryAfterMs, latencyMs };
}

function classify(outcome: string): Classified {
  switch (outcome) {
    case 'rate_limited':
    case 'limited':
    case 'server':
    case 'network':
    case 'timeout':
      return 'fallback';
    case 'auth':
      return 'auth';
    case 'context_length':
      return 'context';
    default:
      return 'skip';
  }
}

function isLimiterRefusal(error: unknown): error is AstraError {
  return isAstraError(error, 'ASTRA_LLM_RATE_LIMITED') && error.details.source === 'limiter';
}
