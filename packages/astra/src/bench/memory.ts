// `npm run bench:memory`: the semantic memory's retrieval quality and latency (docs/memory.md); CLI
// below says what it measures (`--help`).
import { randomUUID } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLexicalEmbedder } from '../adapters/embedder/index.js';
import { migrate } from '../adapters/sql/migrate.js';
import { createPgliteStore } from '../adapters/sql/pglite.js';
import { createPostgresStore } from '../adapters/sql/postgres.js';
import type { SqlStore } from '../ports/sql-store.js';
import {
  accountedEmbedder,
  MEMORY_DEFAULTS,
  prepareVectorSearch,
  type SearchMode,
  SemanticMemory,
  type VectorPath,
} from '../services/memory/index.js';
import { systemClock } from '../time/clock.js';
import { COMMON_FLAGS, type FlagValues, listOf, oneOf, positiveInteger, runBench, url } from './cli.js';
import { fillMemories } from './memory-fill.js';
import { FACTS, QUESTIONS } from './memory-fixtures/index.js';

const migrations = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
const MODES: readonly SearchMode[] = ['vector', 'text', 'hybrid'];
const log = (line: string): void => console.log(line);

const CLI = {
  name: 'memory',
  command: 'npm run bench:memory --',
  about: `
The semantic memory's retrieval quality and latency (docs/memory.md).
1. Recall@k (k = 1, 3, 5) of each retrieval mode (vector with the offline lexical embedder, text,
   hybrid) on the fixture the repository ships (memory-fixtures/: 40 facts, 30 questions with
   their evidence): Recall@k = the share of a question's evidence found in the top k, averaged.
2. Write and search latency with N facts stored for one agent (--sizes), on PGlite and on
   Postgres: p50/p95/p99 of --writes writes through dedup and --searches searches per mode, for
   each vector path the backend has (--paths; PGlite has both, Postgres 15 here only exact), and
   the share of the true top 10 (every fact scored) that the HNSW index, or the exact path's
   sketch prefilter beyond its re-scored few hundred, finds (ANN recall@10, over the searches'
   queries). Facts are filled in bulk, the table's indexes built afterwards (memory-fill.ts), with a
   progress line every 10 s and one for each index built.`,
  flags: {
    sizes: {
      check: listOf(positiveInteger),
      value: 'N,N',
      help: 'Facts stored per latency run.',
      default: '10000',
    },
    postgres: { ...COMMON_FLAGS.postgres, check: url },
    only: {
      check: oneOf(['all', 'pglite', 'postgres']),
      value: 'BACKEND',
      help: 'all, pglite or postgres.',
      default: 'all',
    },
    paths: {
      check: listOf(oneOf(['pgvector', 'exact'])),
      value: 'PATH,PATH',
      help: 'Vector paths to measure: pgvector, exact.',
      default: 'pgvector,exact',
    },
    writes: { check: positiveInteger, value: 'N', help: 'Writes measured per size.', default: '50' },
    searches: {
      check: positiveInteger,
      value: 'N',
      help: 'Searches measured per mode and size.',
      default: '30',
    },
  },
} as const;

type Args = FlagValues<typeof CLI.flags>;

async function seedAgent(store: SqlStore): Promise<{ orgId: string; agentId: string }> {
  const org = await store.query<{ id: string }>(`INSERT INTO organizations (name) VALUES ($1) RETURNING id`, [
    `bench-${randomUUID().slice(0, 8)}`,
  ]);
  const orgId = org.rows[0]?.id as string;
  const agent = await store.query<{ id: string }>(
    `INSERT INTO agents (name, org_id) VALUES ($1, $2) RETURNING id`,
    [`bench-${randomUUID().slice(0, 8)}`, orgId],
  );
  return { orgId, agentId: agent.rows[0]?.id as string };
}

const memoryOn = (store: SqlStore, vectors: VectorPath) =>
  new SemanticMemory({
    store,
    clock: systemClock,
    vectors,
    embedder: accountedEmbedder(createLexicalEmbedder(), { interceptors: [], clock: systemClock }),
  });

async function recall(
  store: SqlStore,
  vectors: VectorPath,
): Promise<Record<SearchMode, Record<string, number>>> {
  const memory = memoryOn(store, vectors);
  const agent = await seedAgent(store);
  const ids = new Map<string, string>();
  for (const fact of FACTS) {
    const { memory: m } = await memory.write({ ...agent, content: fact.content });
    ids.set(m.id, fact.id);
  }
  const out = {} as Record<SearchMode, Record<string, number>>;
  for (const mode of MODES) {
    const sums = { 1: 0, 3: 0, 5: 0 };
    for (const question of QUESTIONS) {
      const hits = (await memory.search({ ...agent, query: question.q, k: 5, mode })).map((h) =>
        ids.get(h.memory.id),
      );
      for (const k of [1, 3, 5] as const) {
        const found = question.evidence.filter((id) => hits.slice(0, k).includes(id)).length;
        sums[k] += found / question.evidence.length;
      }
    }
    out[mode] = Object.fromEntries(
      Object.entries(sums).map(([k, sum]) => [`recall@${k}`, Number((sum / QUESTIONS.length).toFixed(3))]),
    );
  }
  return out;
}

const WORDS = (
  'service cluster deploy database queue invoice team region backup metric alert ticket customer release ' +
  'config token budget report schedule incident owner policy storage cache index review partner model ' +
  'pipeline dashboard contract vendor office holiday laptop network printer calendar meeting roadmap'
).split(' ');

/**
 * The i-th distractor fact: five words drawn from WORDS by a 32-bit integer hash of i (Math.imul
 * keeps every step in 32 bits; a float product of that size loses its low bits, and the words it
 * picked were mostly the same five).
 */
function syntheticFact(i: number): string {
  let x = Math.imul(i + 1, 0x9e3779b1);
  const pick = () => {
    x = Math.imul(x ^ (x >>> 15), 0x85ebca6b);
    x ^= x >>> 13;
    return WORDS[(x >>> 0) % WORDS.length] as string;
  };
  return `Fact ${i}: the ${pick()} ${pick()} of the ${pick()} ${pick()} is ${pick()} number ${i % 997}.`;
}

async function fill(store: SqlStore, agent: { orgId: string; agentId: string }, n: number): Promise<void> {
  const started = performance.now();
  let reported = started;
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  await fillMemories(store, agent, {
    count: n,
    text: syntheticFact,
    embedder: createLexicalEmbedder(),
    onProgress: (event) => {
      if ('indexed' in event) log(`bench:memory: built ${event.indexed} at ${seconds()} s`);
      else if (performance.now() - reported > 10_000 || event.filled === n) {
        reported = performance.now();
        log(
          `bench:memory: filled ${event.filled} of ${n} facts at ${seconds()} s, load ${loadavg()[0]?.toFixed(1)}`,
        );
      }
    },
  });
}

const pct = (sorted: readonly number[], p: number) =>
  Number(
    (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN).toFixed(2),
  );

async function timed(
  n: number,
  run: (i: number) => Promise<unknown>,
): Promise<{ p50Ms: number; p95Ms: number; p99Ms: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const started = performance.now();
    await run(i);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50Ms: pct(samples, 50), p95Ms: pct(samples, 95), p99Ms: pct(samples, 99) };
}

/** The exact top 10 by cosine over every fact (what both vector paths approximate at this size). */
async function exactTop10(store: SqlStore, agent: { orgId: string; agentId: string }, query: string) {
  const [vector] = (await createLexicalEmbedder().embed([query])).vectors;
  const { rows } = await store.query<{ id: string }>(
    `SELECT id FROM memories WHERE org_id = $1 AND agent_id = $2 AND embedding IS NOT NULL
       AND superseded_by IS NULL AND valid_to IS NULL
     ORDER BY (SELECT sum(a * b) FROM unnest(embedding, $3::real[]) AS v(a, b)) DESC NULLS LAST, created_at DESC
     LIMIT 10`,
    [agent.orgId, agent.agentId, Array.from(vector ?? [])],
  );
  return rows.map((r) => r.id);
}

const queryOf = (i: number): string => `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} owner`;

async function latency(
  store: SqlStore,
  size: number,
  paths: readonly VectorPath[],
  args: Args,
): Promise<Record<string, unknown>[]> {
  const agent = await seedAgent(store);
  const filling = performance.now();
  await fill(store, agent, size);
  const fillS = Number(((performance.now() - filling) / 1000).toFixed(1));
  await store.query('ANALYZE memories');
  const out: Record<string, unknown>[] = [];
  for (const vectors of paths) {
    const memory = memoryOn(store, vectors);
    const write = await timed(args.writes, (i) =>
      memory.write({
        ...agent,
        content: `A new fact ${i} about the ${WORDS[i % WORDS.length]} rota (${vectors.kind})`,
      }),
    );
    const search: Record<string, unknown> = {};
    for (const mode of MODES)
      search[mode] = await timed(args.searches, (i) =>
        memory.search({ ...agent, query: queryOf(i), k: 10, mode }),
      );
    let annRecallAt10: number | undefined;
    if (vectors.kind === 'pgvector' || size > MEMORY_DEFAULTS.exactRerank) {
      let sum = 0;
      for (let i = 0; i < args.searches; i += 1) {
        const truth = await exactTop10(store, agent, queryOf(i));
        const got = new Set(
          (await memory.search({ ...agent, query: queryOf(i), k: 10, mode: 'vector' })).map(
            (h) => h.memory.id,
          ),
        );
        sum += truth.length === 0 ? 1 : truth.filter((id) => got.has(id)).length / truth.length;
      }
      annRecallAt10 = Number((sum / args.searches).toFixed(3));
    }
    out.push({
      size,
      vectors: vectors.kind,
      fillS,
      write,
      search,
      ...(annRecallAt10 === undefined ? {} : { annRecallAt10 }),
      load: loadavg()[0]?.toFixed(1),
    });
  }
  return out;
}

async function onBackend(
  name: string,
  open: () => Promise<{ store: SqlStore; close(): Promise<void> }>,
  args: Args,
) {
  const { store, close } = await open();
  try {
    await migrate(store, { dir: migrations });
    // The pgvector path where the backend has it (the column and index exist before the facts are
    // written, as on a node); the exact path reads the same rows.
    const prepared = await prepareVectorSearch(store, createLexicalEmbedder(), {
      prefer: args.paths.includes('pgvector') ? 'pgvector' : 'exact',
    });
    const paths: VectorPath[] = [
      ...(prepared.kind === 'pgvector' ? [prepared] : []),
      ...(args.paths.includes('exact') || prepared.kind === 'exact' ? [{ kind: 'exact' as const }] : []),
    ];
    for (const vectors of paths)
      log(JSON.stringify({ backend: name, vectors: vectors.kind, recall: await recall(store, vectors) }));
    for (const size of args.sizes)
      for (const line of await latency(store, size, paths, args))
        log(JSON.stringify({ backend: name, latency: line }));
  } finally {
    await close();
  }
}

async function main(args: Args): Promise<void> {
  log(
    `bench:memory: ${cpus()[0]?.model ?? 'cpu'} ×${availableParallelism()}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, node ${process.version}; offline lexical embedder (512 dimensions)`,
  );
  if (args.only !== 'postgres')
    await onBackend(
      'pglite',
      async () => {
        const store = await createPgliteStore({ memory: true });
        return { store, close: () => store.close() };
      },
      args,
    );
  if (args.only !== 'pglite') {
    const database = `bench_memory_${randomUUID().slice(0, 8)}`;
    const admin = await createPostgresStore({ url: args.postgres, maxConnections: 1 });
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(args.postgres);
    url.pathname = `/${database}`;
    try {
      await onBackend(
        'postgres',
        async () => {
          const store = await createPostgresStore({ url: url.href, maxConnections: 4 });
          return { store, close: () => store.close() };
        },
        args,
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.close();
    }
  }
}

runBench(CLI, main);
