// `npm run bench:access`: what an access decision costs; CLI below says what it measures (`--help`).
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLruCache } from '../adapters/cache/lru-cache.js';
import { migrate } from '../adapters/sql/migrate.js';
import { createPgliteStore } from '../adapters/sql/pglite.js';
import { AccessControl } from '../services/access/access-control.js';
import { agentEntity, entityUid, userEntity } from '../services/access/entities.js';
import { DEFAULT_POLICIES } from '../services/access/policies.js';
import { PolicyEngine } from '../services/access/policy-engine.js';
import type { Principal } from '../services/identity/identity.js';
import { systemClock } from '../time/clock.js';
import { runBench } from './cli.js';

const CLI = {
  name: 'access-decisions',
  command: 'npm run bench:access --',
  about: `
What an access decision costs. Cedar through its WebAssembly build, cold (every request a new
set of facts) and memoized (the same facts again), then a whole \`AccessControl.require\` on an
in-memory PGlite store: facts read from SQL on every request, and facts from the scoped cache
(in-process LRU tier), as a gateway runs it. Prints its conditions and one JSON line with the
figures.`,
  flags: {},
} as const;

const migrations = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
const ORG = '00000000-0000-4000-8000-000000000001';

function perCall(count: number, run: (i: number) => void): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) run(i);
  return ((performance.now() - started) * 1000) / count;
}

async function perCallAsync(count: number, run: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await run(i);
  return ((performance.now() - started) * 1000) / count;
}

function engineFigures(): { coldUs: number; memoUs: number } {
  const engine = new PolicyEngine();
  engine.load(1, DEFAULT_POLICIES);
  const user = userEntity({
    userId: 'u',
    superAdmin: false,
    orgs: [{ orgId: ORG, role: 'org_member' }],
    teams: [],
  });
  const request = (agentId: string) => {
    const agent = agentEntity({
      agentId,
      orgId: ORG,
      teamId: null,
      ownerUserId: null,
      visibility: 'public',
      collaborators: [],
    });
    return {
      principal: entityUid('User', 'u'),
      action: 'agent.view',
      resource: agent.uid,
      entities: [user, agent],
    };
  };
  const count = 5_000;
  perCall(200, (i) => engine.decide(request(`warm-${i}`)));
  const coldUs = perCall(count, (i) => engine.decide(request(`cold-${i}`)));
  const memoUs = perCall(count, (i) => engine.decide(request(`cold-${i % 100}`)));
  return { coldUs, memoUs };
}

async function requireFigures(): Promise<{ sqlUs: number; cachedUs: number }> {
  const store = await createPgliteStore({ memory: true });
  try {
    await migrate(store, { dir: migrations });
    const { rows: users } = await store.query<{ id: string }>(
      `INSERT INTO users (email, password_hash) VALUES ('bench@example.test', 'x') RETURNING id`,
    );
    const userId = users[0]?.id as string;
    await store.query(`INSERT INTO org_memberships (org_id, user_id, role) VALUES ($1, $2, 'org_member')`, [
      ORG,
      userId,
    ]);
    const { rows: agents } = await store.query<{ id: string }>(
      `INSERT INTO agents (name) VALUES ('bench') RETURNING id`,
    );
    const target = { type: 'agent', id: agents[0]?.id as string } as const;
    const principal: Principal = { kind: 'user', userId, email: 'bench@example.test', superAdmin: false };
    const quiet = () => undefined;
    const direct = new AccessControl({ store, clock: systemClock, onAuditError: quiet });
    await direct.start();
    const cached = new AccessControl({
      store,
      clock: systemClock,
      onAuditError: quiet,
      cache: { cache: createLruCache({ maxEntries: 10_000 }), ttlMs: 60_000 },
    });
    await cached.start();
    const count = 2_000;
    await perCallAsync(200, () => direct.require(principal, 'agent.view', target));
    const sqlUs = await perCallAsync(count, () => direct.require(principal, 'agent.view', target));
    await perCallAsync(200, () => cached.require(principal, 'agent.view', target));
    const cachedUs = await perCallAsync(count, () => cached.require(principal, 'agent.view', target));
    await direct.close();
    await cached.close();
    return { sqlUs, cachedUs };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown';
  console.log(`access decisions: node ${process.version}, ${availableParallelism()} cores (${cpu})`);
  const engine = engineFigures();
  console.log(`cedar decide, cold: ${engine.coldUs.toFixed(1)} µs; memoized: ${engine.memoUs.toFixed(1)} µs`);
  const full = await requireFigures();
  console.log(
    `AccessControl.require on PGlite: facts from SQL ${full.sqlUs.toFixed(1)} µs; from the scoped cache ${full.cachedUs.toFixed(1)} µs`,
  );
  console.log(JSON.stringify({ ...engine, requireSqlUs: full.sqlUs, requireCachedUs: full.cachedUs }));
}

runBench(CLI, main);
