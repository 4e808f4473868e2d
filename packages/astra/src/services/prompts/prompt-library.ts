import { AstraError } from '../../errors/index.js';
import type { Cache } from '../../ports/cache.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { PROMPTS_DEFAULTS } from './prompts-defaults.js';
import { renderPrompt } from './render.js';
import { type PromptVersion, readLatestPrompt, readPromptVersion } from './template-store.js';

/**
 * Reads of template versions through the node's cache, and rendering. A version is immutable, so
 * its cached copy is right until the version is deleted (`forget`) or its TTL passes; `latest`
 * moves with every write, so it is read from SQL. The cache is never the source of truth: a cache
 * that fails is logged (`onError`) and the read goes to SQL.
 */
export interface PromptLibraryOptions {
  readonly store: SqlExecutor;
  readonly cache?: Cache;
  /** Default PROMPTS_DEFAULTS.cacheTtlMs. */
  readonly ttlMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
}

/** `latest`, or a version number. */
export type VersionRef = number | 'latest';

export class PromptLibrary {
  readonly #options: PromptLibraryOptions;

  constructor(options: PromptLibraryOptions) {
    this.#options = options;
  }

  /** The cache key of a version (upstream's `prompt:{n}:{v}`, with the organization). */
  static keyOf(orgId: string, name: string, version: number): string {
    return `prompt:${orgId}:${name}:${version}`;
  }

  async read(orgId: string, name: string, version: VersionRef): Promise<PromptVersion | null> {
    const { store, cache } = this.#options;
    if (version === 'latest') return readLatestPrompt(store, orgId, name);
    const key = PromptLibrary.keyOf(orgId, name, version);
    const cached =
      cache === undefined ? undefined : await cache.get(key).catch(this.#failed('prompt cache read'));
    if (cached !== undefined) return JSON.parse(cached) as PromptVersion;
    const prompt = await readPromptVersion(store, orgId, name, version);
    if (prompt !== null && cache !== undefined)
      await cache
        .set(key, JSON.stringify(prompt), { ttlMs: this.#options.ttlMs ?? PROMPTS_DEFAULTS.cacheTtlMs })
        .catch(this.#failed('prompt cache write'));
    return prompt;
  }

  /** Forgets a deleted version's cached copy. */
  async forget(orgId: string, name: string, version: number): Promise<void> {
    await this.#options.cache
      ?.delete(PromptLibrary.keyOf(orgId, name, version))
      .catch(this.#failed('prompt cache delete'));
  }

  /**
   * A version rendered with variables: ASTRA_NOT_FOUND when there is no such version,
   * ASTRA_PROMPT_VARIABLES_INVALID (PromptVariablesError) when the variables break its schema.
   */
  async render(
    orgId: string,
    name: string,
    version: VersionRef,
    variables: Record<string, unknown>,
  ): Promise<{ readonly prompt: PromptVersion; readonly text: string }> {
    const prompt = await this.read(orgId, name, version);
    if (prompt === null) throw new AstraError('ASTRA_NOT_FOUND', `no prompt ${name} version ${version}`);
    return { prompt, text: renderPrompt(prompt, variables) };
  }

  #failed(context: string): (error: unknown) => undefined {
    return (error) => {
      this.#options.onError?.(error, context);
      return undefined;
    };
  }
}
