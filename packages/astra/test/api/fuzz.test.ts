import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedTables } from './db-snapshot.js';
import { checkRestricted, fuzzStats, sendAndCheck } from './fuzz-check.js';
import { type Fixtures, type FuzzServer, startFuzzServer } from './fuzz-server.js';
import { collectionOf, errorCodesOf, fillPath, type Operation, operationsOf } from './operations.js';
import { sendRaw } from './raw-http.js';
import { type FuzzContext, type FuzzRequest, requestArbitrary } from './request-arbitrary.js';
import { anyJson, DEEP_MARKER, expandDeep } from './schema-arbitrary.js';
import { signed, wellFormedRequest } from './well-formed-arbitrary.js';

/**
 * Property-based fuzzing of every operation in the served OpenAPI document (read at run time, so
 * new routes are covered without editing this file): bodies, path and query parameters and headers,
 * generated from the document's schemas and then broken, sent over real HTTP to a real gateway on
 * its own database. For every request: no 5xx, every 4xx is a coded error from the registry, a 4xx
 * wrote nothing, no answer carries a secret, and no 2xx goes to a restricted principal (a suspended
 * user, a demoted super-admin, a read key, an invitee) where its restriction forbids (see
 * fuzz-check.ts, restricted-principals.ts).
 *
 * Then each restricted principal sends well-formed requests to every operation (half as many runs
 * in all, split between the principals, at least two each), so that access control, not a broken
 * body, is what must refuse them.
 *
 * Deterministic: a fixed seed, printed; ASTRA_FUZZ_SEED replays another, ASTRA_FUZZ_RUNS changes
 * the runs per operation: 10 in `npm test`, 40 in `npm run test:fuzz` (docs/testing.md). A failure
 * is shrunk to the smallest request that still fails.
 */
const SEED = Number(process.env.ASTRA_FUZZ_SEED ?? 20_240_611);
const RUNS = Number(process.env.ASTRA_FUZZ_RUNS ?? 10);
/** Well-formed requests per operation from the restricted principals, all of them together. */
const RESTRICTED_RUNS = Math.ceil(RUNS / 2);

let server: FuzzServer;
let operations: Operation[];
let errorCodes: Set<string>;
/** Ids from the top-level list routes (`GET /orgs`, ...), for collections the fixtures do not make. */
const listed: Record<string, string[]> = {};

beforeAll(async () => {
  server = await startFuzzServer();
  const document = (await server.admin<unknown>('GET', '/openapi.json')).body;
  operations = operationsOf(document);
  errorCodes = errorCodesOf(document);
  for (const marker of PASSWORD_MARKERS) server.remember(marker);
  for (const op of operations)
    if (op.method === 'GET' && /^\/[a-z-]+$/.test(op.path)) listed[op.path.slice(1)] = await idsIn(op.path);
  await seedNested();
  console.log(
    `api fuzz: seed ${SEED} (ASTRA_FUZZ_SEED), ${RUNS} runs per operation (ASTRA_FUZZ_RUNS), ${operations.length} operations, ${server.backend}`,
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/**
 * Per-route hints for collections with no list route of their own: a team (made in an
 * organization the list routes returned), so `/teams/{id}/...` gets a valid id too.
 */
async function seedNested(): Promise<void> {
  const has = (method: string, path: string): boolean =>
    operations.some((o) => o.method === method && o.path === path);
  const org = listed.orgs?.[0];
  if (org !== undefined && has('POST', '/orgs/{id}/teams')) {
    const team = await server.admin<{ id?: string }>('POST', `/orgs/${org}/teams`, { name: 'fuzz team' });
    if (team.status === 201 && typeof team.body.id === 'string') listed.teams = [team.body.id];
  }
}

/** Ids in the answer to `GET target` as the super-admin (any `id` field at any depth). */
async function idsIn(target: string): Promise<string[]> {
  const answer = await server.admin<unknown>('GET', target).catch(() => null);
  const ids: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      const id = (value as { id?: unknown }).id;
      if (typeof id === 'string') ids.push(id);
      Object.values(value).forEach(visit);
    }
  };
  if (answer !== null && answer.status === 200) visit(answer.body);
  return ids.slice(0, 5);
}

/** Ids the API hands out for a collection the fixtures do not cover: read from its list route. */
function discoverIds(op: Operation, param: string, known: Record<string, string[]>): Promise<string[]> {
  const path = op.path.slice(0, op.path.indexOf(`{${param}}`) - 1);
  return idsIn(
    fillPath(path, Object.fromEntries(op.pathParams.map((p) => [p.name, firstKnown(op, p.name, known)]))),
  );
}

function firstKnown(op: Operation, param: string, known: Record<string, string[]>): string {
  return known[collectionOf(op.path, param)]?.[0] ?? '00000000-0000-0000-0000-000000000000';
}

async function contextFor(op: Operation, f: Fixtures): Promise<FuzzContext> {
  const known: Record<string, string[]> = {
    ...listed,
    agents: [f.agent],
    goals: [f.goal],
    tasks: [f.task],
    graphs: [f.graph],
    users: [f.user, f.admin],
    'api-keys': [f.apiKey, f.adminApiKey],
    documents: [f.document],
    revisions: [String(f.revision)],
    invitations: [f.invitation],
  };
  for (const param of op.pathParams) {
    const collection = collectionOf(op.path, param.name);
    if (known[collection] === undefined) known[collection] = await discoverIds(op, param.name, known);
  }
  return {
    credentials: server.credentials(),
    idsByCollection: known,
    hints: {
      ids: [f.agent, f.goal, f.task, f.document, f.user],
      idsByCollection: known,
      byName: {
        plan: planArbitrary(),
        ...Object.fromEntries(SECRET_FIELDS.map((name) => [name, secretArbitrary])),
      },
    },
  };
}

/** Fields whose value is a secret: the fuzzer sends marked passwords there and checks no answer repeats one. */
const SECRET_FIELDS = ['password', 'new_password', 'current_password', 'secret', 'client_secret'];
const PASSWORD_MARKERS = [
  'Fuzz-Secret-Password-0001',
  'fuzz-secret-password-0002 with spaces',
  'Fuzz☃Secret☃0003',
];
const secretArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PASSWORD_MARKERS) },
  { weight: 1, arbitrary: fc.constantFrom('short', '', 'x'.repeat(2000)) },
);

/** Declared plans: mostly well-formed DAGs of built-in task types, sometimes broken. */
function planArbitrary(): fc.Arbitrary<unknown> {
  const wellFormed = fc.integer({ min: 1, max: 4 }).chain((n) =>
    fc
      .tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.record(
            {
              id: fc.constant(`t${i}`),
              type: fc.constantFrom('noop', 'echo'),
              payload: anyJson,
              priority: fc.integer({ min: -10, max: 10 }),
              max_retries: fc.integer({ min: 0, max: 5 }),
              timeout_ms: fc.integer({ min: 1, max: 60_000 }),
              depends_on: fc.subarray(Array.from({ length: i }, (_, j) => `t${j}`)),
              on_dependency_failure: fc.constantFrom('fail', 'skip'),
            },
            { requiredKeys: ['id', 'type'] },
          ),
        ),
      )
      .map((tasks) => ({ tasks })),
  );
  const broken = fc.record({
    tasks: fc.array(
      fc.record(
        {
          id: fc.constantFrom('a', 'b', 'c', '', '-x', 'a'.repeat(200)),
          type: fc.constantFrom('noop', 'echo', 'nope'),
          payload: fc.jsonValue({ maxDepth: 2 }),
          max_retries: fc.integer({ min: -1, max: 1000 }),
          timeout_ms: fc.integer({ min: -1, max: 2 ** 31 }),
          depends_on: fc.array(fc.constantFrom('a', 'b', 'c', 'z'), { maxLength: 2 }),
          on_dependency_failure: fc.constantFrom('fail', 'skip', 'run', 'bogus'),
        },
        { requiredKeys: ['id', 'type'] },
      ),
      { maxLength: 3 },
    ),
  });
  return fc.oneof({ weight: 3, arbitrary: wellFormed }, { weight: 1, arbitrary: broken });
}

/** The counterexample and what broke, with long runs of one character abbreviated. */
function report(result: fc.RunDetails<[FuzzRequest]>): string {
  const error =
    result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
  const text = `${fc.defaultReportMessage(result) ?? ''}\n${error}`;
  return text.replace(/(.)\1{40,}/g, (run, c: string) => `${c.repeat(8)}…(${run.length}×)`);
}

describe('API fuzzing (every operation in /openapi.json)', () => {
  // The explicit cases run first: the fuzzing spends POST /login's per-address rate limit.
  it('sees a write in the snapshots, and not the API-key stamp of an authenticated request', async () => {
    const { userKey } = server.credentials();
    const before = await server.snapshots.take();
    const refused = await server.admin<unknown>('POST', '/agents', {});
    expect(refused.status).toBe(400);
    expect(changedTables(before, await server.snapshots.take())).toEqual([]);
    const created = await server.admin<unknown>('POST', '/agents', { name: 'snapshot probe' });
    expect(created.status).toBe(201);
    const afterWrite = await server.snapshots.take();
    expect(changedTables(before, afterWrite).join('\n')).toMatch(/^agents: /m);
    // Authenticating with an API key stamps its last use: a write the snapshot leaves out on purpose.
    const stamped = await fetch(`${server.url}/agents/not-a-uuid`, {
      headers: { authorization: `Bearer ${userKey}` },
    });
    expect(stamped.status).toBeGreaterThanOrEqual(400);
    expect(changedTables(afterWrite, await server.snapshots.take())).toEqual([]);
  });

  it('answers requests Fastify or Node reject before routing in the same error shape (regressions)', async () => {
    const { adminToken } = server.credentials();
    const auth: [string, string] = ['Authorization', `Bearer ${adminToken}`];
    const cases: [string, FuzzRequest, number, string][] = [
      // Fastify answered these itself, as {error: 'Bad Request', code: 'FST_ERR_BAD_URL', ...}.
      [
        'undecodable URL',
        { method: 'GET', target: '/agents/%', headers: [auth] },
        400,
        'ASTRA_VALIDATION_FAILED',
      ],
      [
        'path parameter over maxParamLength',
        { method: 'GET', target: `/agents/${'x'.repeat(500)}`, headers: [auth] },
        400,
        'ASTRA_VALIDATION_FAILED',
      ],
      // Node answered these through Fastify's default client-error writer, as {error: 'Request Header ...'}.
      [
        'headers over the limit',
        { method: 'GET', target: '/agents/x', headers: [auth, ['X-Junk', 'a'.repeat(20_000)]] },
        431,
        'ASTRA_HEADERS_TOO_LARGE',
      ],
      [
        'query string over the header limit',
        { method: 'GET', target: `/agents/x?q=${'a'.repeat(20_000)}`, headers: [auth] },
        431,
        'ASTRA_HEADERS_TOO_LARGE',
      ],
    ];
    for (const [label, request, status, code] of cases) {
      const response = await sendAndCheck(server, new Set(), request, errorCodes);
      expect(response.status, label).toBe(status);
      expect(JSON.parse(response.body).error.code, label).toBe(code);
    }
    const garbage = await sendRaw(server.port, { method: 'GET', target: 'not a request line', headers: [] });
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body).error.code).toBe('ASTRA_VALIDATION_FAILED');
  });

  it('refuses text the database cannot store and nesting too deep to serialize, with a 400 and no write (regressions)', async () => {
    const f = await server.refresh();
    const { adminToken } = server.credentials();
    const auth: [string, string] = ['Authorization', `Bearer ${adminToken}`];
    const json: [string, string] = ['Content-Type', 'application/json'];
    // Each was a 500 (ASTRA_STORE_QUERY_FAILED, SQL state 22021, 22P05 or 22P02) before validation refused it.
    const cases: [string, string, unknown][] = [
      ['POST', '/agents', { name: 'a\u0000b' }],
      ['POST', '/agents', { name: 'x', config: { k: '\u0000' } }],
      ['POST', '/agents', { name: 'x', config: { 'k\u0000': 1 } }],
      ['POST', '/agents', { name: 'x', config: { k: 'x\ud800' } }],
      ['POST', '/agents', { name: 'x', config: '{"k": "\\u0000"}' }],
      ['PATCH', `/agents/${f.agent}`, { metadata: { x: '\u0000' } }],
      [
        'POST',
        `/agents/${f.agent}/goals`,
        { goal_text: 'a\u0000', plan: { tasks: [{ id: 'a', type: 'noop' }] } },
      ],
      [
        'POST',
        `/agents/${f.agent}/goals`,
        { goal_text: 'a', plan: { tasks: [{ id: 'a', type: 'noop', payload: { x: '\u0000' } }] } },
      ],
      ['POST', `/agents/${f.agent}/documents`, { doc_type: 'rule', name: 'x', content: '\u0000' }],
      ['POST', `/agents/${f.agent}/revisions`, { payload: { system_prompt: '\udfff' } }],
      ['POST', '/login', { email: 'a\u0000@x', password: 'x' }],
      ['POST', '/users', { email: 'a\u0000@x', password: 'long enough password' }],
      ['GET', '/agents?tag=a%00b', undefined],
      // Nesting too deep to serialize: a RangeError from JSON.stringify in the handler, or SQL state 54001.
      ['POST', '/agents', { name: 'x', config: { k: `${DEEP_MARKER}20000` } }],
      ['PATCH', `/agents/${f.agent}`, { metadata: { k: `${DEEP_MARKER}20000` } }],
      [
        'POST',
        `/agents/${f.agent}/goals`,
        { goal_text: 'a', plan: { tasks: [{ id: 'a', type: 'noop', payload: `${DEEP_MARKER}5000` }] } },
      ],
      ['POST', `/agents/${f.agent}/revisions`, { payload: { config: { k: `${DEEP_MARKER}20000` } } }],
    ];
    for (const [method, target, body] of cases) {
      const request: FuzzRequest = {
        method,
        target,
        headers: body === undefined ? [auth] : [auth, json],
        ...(body === undefined ? {} : { body: expandDeep(JSON.stringify(body)) }),
      };
      const response = await sendAndCheck(server, new Set(), request, errorCodes);
      const label = `${method} ${target} ${request.body?.slice(0, 200) ?? ''}`;
      expect(response.status, label).toBe(400);
      expect(JSON.parse(response.body).error.code, label).toBe('ASTRA_VALIDATION_FAILED');
    }
  });

  it('answers every fuzzed request without a 5xx, with coded 4xx errors, no write on a 4xx and no secret', async () => {
    const failures: string[] = [];
    const started = Date.now();
    let requests = 0;
    let refreshMs = 0;
    // Reads first: they share one set of fixtures; after each writing operation, a fresh set.
    const ordered = [
      ...operations.filter((o) => o.method === 'GET'),
      ...operations.filter((o) => o.method !== 'GET'),
    ];
    let fixtures = server.fixtures();
    for (const op of ordered) {
      const t0 = performance.now();
      if (op.method !== 'GET') fixtures = await server.refresh();
      const context = await contextFor(op, fixtures);
      refreshMs += performance.now() - t0;
      const result = await fc.check(
        fc.asyncProperty(requestArbitrary(op, context), async (request) => {
          requests++;
          const response = await sendAndCheck(server, op.statuses, request, errorCodes);
          await checkRestricted(server.restrictions(), op, request, response);
        }),
        { seed: SEED, numRuns: RUNS, maxSkipsPerRun: 0 },
      );
      if (result.failed) failures.push(`${op.method} ${op.path}\n${report(result)}`);
    }
    console.log(
      `api fuzz: ${requests} requests in ${Date.now() - started} ms (requests ${Math.round(fuzzStats.requestMs)} ms, snapshots ${Math.round(fuzzStats.snapshotMs)} ms, refresh ${Math.round(refreshMs)}), answers ${JSON.stringify(fuzzStats.byStatus)}`,
    );
    expect(failures, failures.join('\n\n')).toEqual([]);
  }, 600_000);

  it('answers no restricted principal beyond its restriction, for well-formed requests to every operation', async () => {
    const failures: string[] = [];
    const answers: Record<string, number> = {};
    const ordered = [
      ...operations.filter((o) => o.method === 'GET' && !o.public),
      ...operations.filter((o) => o.method !== 'GET' && !o.public),
    ];
    let fixtures = await server.refresh();
    for (const op of ordered) {
      if (op.method !== 'GET') fixtures = await server.refresh();
      const context = await contextFor(op, fixtures);
      // One property per principal, so each of them reaches every operation whatever the run count.
      const restricted = context.credentials.restricted;
      const runsEach = Math.max(2, Math.ceil(RESTRICTED_RUNS / restricted.length));
      const unsigned = wellFormedRequest(op, context);
      for (const [i, credential] of restricted.entries()) {
        const requests = unsigned.map((request) => signed(request, `Bearer ${credential}`));
        const result = await fc.check(
          fc.asyncProperty(requests, async (request) => {
            const response = await sendAndCheck(server, op.statuses, request, errorCodes);
            const bucket = response.status === null ? 'none' : `${Math.floor(response.status / 100)}xx`;
            answers[bucket] = (answers[bucket] ?? 0) + 1;
            await checkRestricted(server.restrictions(), op, request, response);
          }),
          { seed: SEED + i, numRuns: runsEach, maxSkipsPerRun: 0 },
        );
        if (result.failed)
          failures.push(`${op.method} ${op.path} as ${server.restrictions()[i]?.name}\n${report(result)}`);
      }
    }
    console.log(`api fuzz, restricted principals: answers ${JSON.stringify(answers)}`);
    expect(failures, failures.join('\n\n')).toEqual([]);
  }, 600_000);
});
