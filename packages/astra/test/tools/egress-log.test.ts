import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEgressProxy } from '../../src/adapters/egress/index.js';
import type { EgressProxy, EgressRecord } from '../../src/ports/egress.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { writeEgressRecords } from '../../src/services/tools/egress-log.js';
import { createEgressLogSink, readTaskEgress } from '../../src/services/tools/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { startHttpUpstream, type Upstream } from '../egress/upstream.js';
import { createTestStore, sqlBackends } from '../support/sql.js';

/**
 * The persistent egress sink (migration 0015, services/tools/egress-log.ts) on every SQL backend:
 * a real proxy's records reach `egress_log` in batches and read back by task, oldest first, with
 * paging; `record` never throws, a failed write is reported and dropped, and the queue is bounded.
 */
/** Records are dated from now (a sink prunes what is past its retention). */
const BASE_MS = Math.floor(Date.now() / 1000) * 1000;
const DAY_MS = 86_400_000;
const record = (taskId: string, n: number, atMs = BASE_MS + n * 1000): EgressRecord => ({
  orgId: randomUUID(),
  agentId: randomUUID(),
  taskId,
  tool: 'http_request@1.0.0',
  sessionId: `s${n}`,
  at: new Date(atMs).toISOString(),
  method: 'GET',
  scheme: 'http',
  host: 'api.example.com',
  port: 443,
  status: 200,
  outcome: 'allowed',
  code: null,
  bytesOut: n,
  bytesIn: 10 * n,
  durationMs: n,
});

describe.each(sqlBackends())('egress log on %s', (backend) => {
  let db: { store: SqlStore; drop(): Promise<void> };
  let upstream: Upstream;
  let proxy: EgressProxy;
  let dir: string;
  const errors: unknown[] = [];
  let sink: ReturnType<typeof createEgressLogSink>;

  beforeAll(async () => {
    db = await createTestStore(backend);
    upstream = await startHttpUpstream();
    dir = await mkdtemp(path.join(tmpdir(), 'eg-log-'));
    sink = createEgressLogSink({ store: db.store, onError: (error) => errors.push(error) });
    proxy = await createEgressProxy({ socketDir: path.join(dir, 's'), sink });
  });
  afterAll(async () => {
    await proxy?.close();
    await sink?.close();
    await upstream?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a real session's requests, allowed and refused, under its task", async () => {
    const taskId = randomUUID();
    const agentId = randomUUID();
    const orgId = randomUUID();
    const session = await proxy.open({
      identity: { orgId, agentId, taskId, tool: 'http_request@1.0.0' },
      grants: { tool: [{ host: '127.0.0.1', ports: [upstream.port], allowAddresses: ['loopback'] }] },
    });
    const ok = await session.fetch({
      url: `http://127.0.0.1:${upstream.port}/a`,
      method: 'POST',
      body: 'four',
    });
    const refused = await session.fetch({ url: 'http://denied.example/' });
    await session.close();
    expect([ok.status, refused.status]).toEqual([200, 403]);
    await sink.flush();
    const rows = await readTaskEgress(db.store, taskId, { after: 0, limit: 10 });
    expect(rows).toEqual([
      expect.objectContaining({
        taskId,
        agentId,
        orgId,
        tool: 'http_request@1.0.0',
        sessionId: session.id,
        method: 'POST',
        scheme: 'http',
        host: '127.0.0.1',
        port: upstream.port,
        status: 200,
        outcome: 'allowed',
        code: null,
        bytesOut: 4,
      }),
      expect.objectContaining({
        host: 'denied.example',
        status: 403,
        outcome: 'denied',
        code: 'ASTRA_EGRESS_DENIED',
      }),
    ]);
    expect(rows[0]?.bytesIn).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('writes in batches and pages a task oldest first', async () => {
    const taskId = randomUUID();
    const batched = createEgressLogSink({
      store: db.store,
      onError: (error) => errors.push(error),
      flushSize: 3,
    });
    for (let n = 1; n <= 7; n += 1) batched.record(record(taskId, n));
    await batched.close();
    const first = await readTaskEgress(db.store, taskId, { after: 0, limit: 4 });
    const rest = await readTaskEgress(db.store, taskId, { after: first.at(-1)?.id ?? 0, limit: 4 });
    expect([...first, ...rest].map((row) => row.sessionId)).toEqual([
      's1',
      's2',
      's3',
      's4',
      's5',
      's6',
      's7',
    ]);
    expect(rest[0]?.at).toBe(new Date(BASE_MS + 5000).toISOString());
    // Closed: later records are ignored, never thrown.
    batched.record(record(taskId, 8));
    await batched.flush();
    expect(await readTaskEgress(db.store, taskId, { after: 0, limit: 100 })).toHaveLength(7);
  });

  it('never throws: a failed write is reported, ids that are not uuids are stored as null', async () => {
    const failures: unknown[] = [];
    const broken = createEgressLogSink({
      store: {
        ...db.store,
        query: async () => {
          throw new Error('database down');
        },
      } as SqlStore,
      onError: (error) => failures.push(error),
      maxQueued: 2,
    });
    const taskId = randomUUID();
    expect(() => {
      for (let n = 1; n <= 5; n += 1) broken.record(record(taskId, n));
    }).not.toThrow();
    expect(broken.dropped).toBe(3);
    await broken.flush();
    expect(failures).toHaveLength(1);

    const odd = createEgressLogSink({ store: db.store, onError: (error) => errors.push(error) });
    odd.record({ ...record(taskId, 9), agentId: 'agent-1', orgId: '' });
    await odd.close();
    const [row] = await readTaskEgress(db.store, taskId, { after: 0, limit: 10 });
    expect(row).toMatchObject({ agentId: null, orgId: null, sessionId: 's9' });
    expect(errors).toEqual([]);
  });

  it('deletes records past their retention after a write, at most once per interval', async () => {
    const clock = new ManualClock(BASE_MS);
    const fresh = (taskId: string, n: number): EgressRecord => record(taskId, n, clock.now());
    const old = (taskId: string, n: number): EgressRecord => record(taskId, n, BASE_MS - 60 * DAY_MS);
    const taskId = randomUUID();
    await writeEgressRecords(db.store, [old(taskId, 1)]);
    const kept = createEgressLogSink({
      store: db.store,
      onError: (error) => errors.push(error),
      clock,
      retentionDays: 30,
      pruneEveryMs: 60_000,
    });
    const sessions = async () =>
      (await readTaskEgress(db.store, taskId, { after: 0, limit: 100 })).map((row) => row.sessionId);
    kept.record(fresh(taskId, 2));
    await kept.flush();
    expect(await sessions()).toEqual(['s2']);
    // Within the interval nothing is pruned; the next write after it is.
    await writeEgressRecords(db.store, [old(taskId, 3)]);
    kept.record(fresh(taskId, 4));
    await kept.flush();
    expect(await sessions()).toEqual(['s2', 's3', 's4']);
    await clock.advance(60_000);
    kept.record(fresh(taskId, 5));
    await kept.close();
    expect(await sessions()).toEqual(['s2', 's4', 's5']);
    expect(errors).toEqual([]);
  });
});
