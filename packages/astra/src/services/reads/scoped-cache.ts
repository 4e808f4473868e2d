import { randomUUID } from 'node:crypto';
import type { Cache } from '../../ports/cache.js';

/**
 * Read-through caching of views that many writes change at once, invalidated by scope.
 *
 * A scope is what one write changes together: a goal (its row, its graph, its tasks) or an agent
 * (its row, its profile). Each scope has a generation in the cache (`astra:reads:gen:<scope>`, a
 * random token); each cached view is stored with the generation it was read under. A hit counts
 * only while the scope's generation is still the one stamped on the entry. A write, once
 * committed, deletes the generations of the scopes it touched: one batched cache delete however
 * many views each scope has, and without knowing which ones were cached.
 *
 * The fill race: a read that loaded the old row before a write committed must not leave it
 * answering after the write returned. A fill takes (or creates) the scope's generation *before* it
 * loads the row. If the write's delete came after that, the stamp is dead and the entry never
 * answers; if it came before, the write had committed and the load sees it. A view whose scope is
 * unknown until it is read (a task, a graph: their goal) is loaded once to learn the scope, then
 * again under its generation (once per entry and generation, not per read).
 *
 * Across processes, the two-tier cache carries the generation deletes to every process's local
 * tier (pub/sub, sub-millisecond on one host; see two-tier-cache.ts for the bounds when messages
 * are lost). A cache that fails answers as a miss: reads go to SQL, never fail because of it.
 *
 * A hit asks the cache for the entry and its scope's generation in one call (`getMany`; the
 * scope of a task or graph view is known from the entry's last parse). The parse is saved too:
 * the last parse of each of the `parsedEntries` most recent keys is kept with the text it came
 * from and answers while the cache returns that same text. Those values are shared by every
 * reader, so they are frozen (deeply): a caller that needs to change one copies it.
 */
export interface ScopedCacheOptions {
  readonly cache: Cache;
  /** TTL of entries and generations. */
  readonly ttlMs: number;
  /** Cache failures that were absorbed (the read went to SQL). Default: ignored. */
  readonly onError?: (error: unknown, context: string) => void;
  /** The view a key belongs to, for the hit and miss counts; default the key up to its first `:`. */
  readonly viewOf?: (key: string) => string;
  /** How many parsed entries are kept (default 1,000; 0: none). */
  readonly parsedEntries?: number;
}

/** Reads of one view since the process started: answered from the cache, or loaded from SQL. */
export interface CacheCounts {
  hits: number;
  misses: number;
}

const firstSegment = (key: string): string => {
  const end = key.indexOf(':');
  return end < 0 ? key : key.slice(0, end);
};

interface Entry<T> {
  /** The generation the value was loaded under. */
  readonly s: string;
  /** Its scope. */
  readonly g: string;
  readonly v: T;
}

interface Lookup {
  readonly raw: string | undefined;
  readonly generation: string | undefined;
}

interface Parsed {
  readonly raw: string;
  readonly entry: Entry<unknown>;
}

const PREFIX = 'astra:reads:';
const DEFAULT_PARSED_ENTRIES = 1_000;

export class ScopedCache {
  readonly #cache: Cache;
  readonly #ttlMs: number;
  readonly #onError: (error: unknown, context: string) => void;
  readonly #viewOf: (key: string) => string;
  readonly #counts = new Map<string, CacheCounts>();
  readonly #parsed = new Map<string, Parsed>();
  readonly #maxParsed: number;

  constructor(options: ScopedCacheOptions) {
    this.#cache = options.cache;
    this.#ttlMs = options.ttlMs;
    this.#onError = options.onError ?? (() => undefined);
    this.#maxParsed = options.parsedEntries ?? DEFAULT_PARSED_ENTRIES;
    this.#viewOf = options.viewOf ?? firstSegment;
  }

  /**
   * Hits and misses by view (a miss: no entry, an entry of an older generation, or a cache that
   * failed); plain counts that the metrics service reads on a scrape.
   */
  counts(): ReadonlyMap<string, Readonly<CacheCounts>> {
    return this.#counts;
  }

  /**
   * The view under `key`, from the cache while its scope has not changed, else from `load`.
   * `scope` is the view's scope when known before loading, else `scopeOf` finds it in the value.
   * Absent rows (null) are not cached.
   */
  async read<T>(
    key: string,
    load: () => Promise<T | null>,
    scope: string | ((value: T) => string),
  ): Promise<T | null> {
    const entryKey = PREFIX + key;
    // A view's scope never changes (a task stays in its goal), so the last parse tells it too.
    let scopeId = typeof scope === 'string' ? scope : this.#parsed.get(entryKey)?.entry.g;
    const counts = this.#countsOf(key);
    const found = await this.#lookup(entryKey, scopeId);
    if (found.raw !== undefined) {
      const entry = this.#parse(entryKey, found.raw) as Entry<T>;
      const generation = entry.g === scopeId ? found.generation : await this.#get(genKey(entry.g));
      if (generation === entry.s) {
        counts.hits++;
        return entry.v;
      }
      scopeId = entry.g;
    }
    counts.misses++;
    if (scopeId === undefined) {
      const first = await load();
      if (first === null) return null;
      scopeId = (scope as (value: T) => string)(first);
    }
    const stamp = await this.#generation(scopeId);
    const value = await load();
    if (value !== null && stamp !== undefined)
      await this.#set(entryKey, JSON.stringify({ s: stamp, g: scopeId, v: value } satisfies Entry<T>));
    return value;
  }

  /**
   * Every view of these scopes stops answering from the cache; resolves once the cache is told.
   * Never rejects: the write it follows has committed, so a cache failure goes to onError and the
   * old views may answer until their TTL (or, in other processes, the local tier's cap).
   */
  async forget(scopes: Iterable<string>): Promise<void> {
    const keys = [...scopes].map(genKey);
    if (keys.length === 0) return;
    try {
      await this.#cache.delete(keys);
    } catch (error) {
      this.#onError(error, 'read cache invalidation');
    }
  }

  #countsOf(key: string): CacheCounts {
    const view = this.#viewOf(key);
    let counts = this.#counts.get(view);
    if (counts === undefined) {
      counts = { hits: 0, misses: 0 };
      this.#counts.set(view, counts);
    }
    return counts;
  }

  /** The entry `raw` holds, parsed once per text (and frozen: it is shared). */
  #parse(key: string, raw: string): Entry<unknown> {
    const known = this.#parsed.get(key);
    if (known !== undefined && known.raw === raw) return known.entry;
    const entry = deepFreeze(JSON.parse(raw) as Entry<unknown>);
    if (this.#maxParsed === 0) return entry;
    // Insertion order is age: the oldest key goes first once the bound is reached.
    this.#parsed.delete(key);
    if (this.#parsed.size >= this.#maxParsed) this.#parsed.delete(this.#parsed.keys().next().value as string);
    this.#parsed.set(key, { raw, entry });
    return entry;
  }

  /** The scope's current generation, made if there is none; undefined when the cache fails. */
  async #generation(scope: string): Promise<string | undefined> {
    const key = genKey(scope);
    const current = await this.#get(key);
    if (current !== undefined) return current;
    const made = randomUUID();
    return (await this.#set(key, made)) ? made : undefined;
  }

  /**
   * The entry and, when its scope is known, the scope's generation: one cache call. Both are
   * read in that call, so a generation forgotten before it began is never seen.
   */
  async #lookup(entryKey: string, scope: string | undefined): Promise<Lookup> {
    if (scope === undefined) return { raw: await this.#get(entryKey), generation: undefined };
    const generationKey = genKey(scope);
    try {
      const hits = await this.#cache.getMany([entryKey, generationKey]);
      return { raw: hits.get(entryKey), generation: hits.get(generationKey) };
    } catch (error) {
      this.#onError(error, 'read cache get');
      return { raw: undefined, generation: undefined };
    }
  }

  async #get(key: string): Promise<string | undefined> {
    try {
      return await this.#cache.get(key);
    } catch (error) {
      this.#onError(error, 'read cache get');
      return undefined;
    }
  }

  async #set(key: string, value: string): Promise<boolean> {
    try {
      await this.#cache.set(key, value, { ttlMs: this.#ttlMs });
      return true;
    } catch (error) {
      // Too large, or the cache is down: the view is served from SQL.
      this.#onError(error, 'read cache set');
      return false;
    }
  }
}

const genKey = (scope: string): string => `${PREFIX}gen:${scope}`;

/** Freezes a parsed JSON value and everything in it. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
