import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/time/clock.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from '../identity/gateway.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';

/**
 * The memory routes over a real gateway (docs/memory.md): a write with its provenance and TTL,
 * dedup answering the stored fact, search with filters, get, and forgetting one fact or all of an
 * agent's memory; bad input answered 4xx with stable codes. The access matrix covers who may.
 */
let db: TestPgliteStore;
let gw: TestGateway;
const clock = new ManualClock(Date.parse('2026-05-01T10:00:00Z'));

beforeAll(async () => {
  db = await createTestPgliteStore();
  gw = await openGateway(db.store, clock);
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

type Json = Record<string, unknown>;
const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) => {
  const answer = await gw.call(method, url, { token: ADMIN_TOKEN, ...(body === undefined ? {} : { body }) });
  return { status: answer.statusCode, body: answer.json() as Json };
};
const agent = async (): Promise<string> =>
  ((await call('POST', '/agents', { name: `mem-${randomUUID().slice(0, 8)}` })).body as { actor_id: string })
    .actor_id;
/** A goal of the agent with one task: their ids. */
const goalOf = async (agentId: string): Promise<{ goal: string; task: string }> => {
  const goal = (
    await call('POST', `/agents/${agentId}/goals`, {
      goal_text: 'learn something',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
    })
  ).body as { goal_id: string };
  const details = (await call('GET', `/goals/${goal.goal_id}/details`)).body as { tasks: { id: string }[] };
  return { goal: goal.goal_id, task: details.tasks[0]?.id as string };
};
const codeOf = (body: Json): unknown => (body.error as { code?: string } | undefined)?.code;

describe('memory routes', () => {
  it('writes a fact with provenance and a TTL, dedups it, finds it with filters, and gets it', async () => {
    const id = await agent();
    const { goal, task } = await goalOf(id);
    const written = await call('POST', `/agents/${id}/memories`, {
      content: 'The release train leaves on Thursdays.',
      source_goal_id: goal,
      source_task_id: task,
      source_message_id: 'msg-7',
      metadata: { topic: 'release' },
    });
    expect(written.status, JSON.stringify(written.body)).toBe(201);
    const memory = written.body.memory as Json;
    expect(written.body.outcome).toBe('created');
    expect(memory).toMatchObject({
      agent_id: id,
      kind: 'fact',
      source_goal_id: goal,
      source_task_id: task,
      source_message_id: 'msg-7',
      metadata: { topic: 'release' },
      valid_to: null,
      expires_at: null,
      embedding_model: 'builtin/lexical-hash-v1',
    });
    expect(memory).not.toHaveProperty('normalized_hash');
    const again = await call('POST', `/agents/${id}/memories`, {
      content: 'the release train leaves on thursdays',
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', tier: 'normalized', memory: { id: memory.id } });

    const brief = await call('POST', `/agents/${id}/memories`, {
      content: 'The release branch is frozen today.',
      ttl_seconds: 3600,
    });
    expect((brief.body.memory as Json).expires_at).toBe('2026-05-01T11:00:00.000Z');
    const search = (body: Json) => call('POST', `/agents/${id}/memories/search`, body);
    const found = await search({ query: 'when does the release train leave', mode: 'hybrid', k: 5 });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ mode: 'hybrid', vector_path: 'exact' });
    const hits = found.body.hits as { memory: Json; score: number; ranks: Json }[];
    expect(hits[0]?.memory.id).toBe(memory.id);
    expect(hits[0]?.ranks.vector).toBe(1);
    const byGoal = await search({ query: 'release', mode: 'text', filters: { source_goal_id: goal } });
    expect((byGoal.body.hits as { memory: Json }[]).map((h) => h.memory.id)).toEqual([memory.id]);
    await clock.advance(3_600_000);
    const later = await search({ query: 'release branch frozen', mode: 'text' });
    expect((later.body.hits as { memory: Json }[]).map((h) => h.memory.content)).toEqual([
      'The release train leaves on Thursdays.',
    ]);
    const got = await call('GET', `/memories/${memory.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(memory);
  });

  it('answers bad input with 400 ASTRA_VALIDATION_FAILED and unknown facts with 404 ASTRA_NOT_FOUND', async () => {
    const id = await agent();
    const other = await goalOf(await agent());
    const bad: [string, Json][] = [
      ['empty content', { content: '   ' }],
      ['unknown field', { content: 'x', colour: 'blue' }],
      ['long content', { content: 'x'.repeat(8001) }],
      ['bad kind', { content: 'x', kind: 'rumour' }],
      ['zero ttl', { content: 'x', ttl_seconds: 0 }],
      ['bad instant', { content: 'x', valid_from: 'yesterday' }],
      ["another agent's goal", { content: 'x', source_goal_id: other.goal }],
      ["another agent's task", { content: 'x', source_task_id: other.task }],
      [
        'validity reversed',
        { content: 'x', valid_from: '2026-05-02T00:00:00Z', valid_to: '2026-05-01T00:00:00Z' },
      ],
    ];
    for (const [why, body] of bad) {
      const answer = await call('POST', `/agents/${id}/memories`, body);
      expect([why, answer.status, codeOf(answer.body)]).toEqual([why, 400, 'ASTRA_VALIDATION_FAILED']);
    }
    const goalPath = await call('POST', `/agents/${id}/memories`, {
      content: 'x',
      source_goal_id: other.goal,
    });
    expect((goalPath.body.error as { details: Json }).details).toMatchObject({ path: 'body.source_goal_id' });
    for (const body of [
      { query: '' },
      { query: 'x', k: 0 },
      { query: 'x', k: 101 },
      { query: 'x', mode: 'semantic' },
      { query: 'x', filters: { source_goal_id: 'nope' } },
    ]) {
      const answer = await call('POST', `/agents/${id}/memories/search`, body);
      expect([JSON.stringify(body), answer.status, codeOf(answer.body)]).toEqual([
        JSON.stringify(body),
        400,
        'ASTRA_VALIDATION_FAILED',
      ]);
    }
    const supersedeUnknown = await call('POST', `/agents/${id}/memories`, {
      content: 'y',
      supersedes: randomUUID(),
    });
    expect([supersedeUnknown.status, codeOf(supersedeUnknown.body)]).toEqual([404, 'ASTRA_NOT_FOUND']);
    for (const target of [`/memories/${randomUUID()}`, '/memories/not-a-uuid'])
      expect(codeOf((await call('GET', target)).body)).toBe('ASTRA_NOT_FOUND');
    const noAgent = await call('POST', `/agents/${randomUUID()}/memories`, { content: 'z' });
    expect([noAgent.status, codeOf(noAgent.body)]).toEqual([404, 'ASTRA_NOT_FOUND']);
  });

  it("forgets one fact, and all of an agent's memory (facts and working memory) without touching another's", async () => {
    const id = await agent();
    const other = await agent();
    const facts: string[] = [];
    for (const content of ['Fact one is here.', 'Fact two is there.', 'Fact three is elsewhere.'])
      facts.push(
        ((await call('POST', `/agents/${id}/memories`, { content })).body.memory as Json).id as string,
      );
    await call('POST', `/agents/${other}/memories`, { content: 'Fact of the other agent.' });
    await gw.memory.working.set(id, 'scratch', 'half a thought');
    await gw.memory.working.set(other, 'scratch', 'kept');

    expect((await call('DELETE', `/memories/${facts[0]}`)).body).toEqual({ id: facts[0], deleted: true });
    expect(codeOf((await call('GET', `/memories/${facts[0]}`)).body)).toBe('ASTRA_NOT_FOUND');
    expect(codeOf((await call('DELETE', `/memories/${facts[0]}`)).body)).toBe('ASTRA_NOT_FOUND');

    const forgot = await call('POST', `/agents/${id}/forget`);
    expect(forgot.status).toBe(200);
    expect(forgot.body).toEqual({ agent_id: id, memories_deleted: 2, working_memory_cleared: true });
    expect(await gw.memory.working.all(id)).toEqual({});
    const left = await call('POST', `/agents/${id}/memories/search`, { query: 'fact', mode: 'text' });
    expect(left.body.hits).toEqual([]);
    expect(await gw.memory.working.get(other, 'scratch')).toBe('kept');
    const theirs = await call('POST', `/agents/${other}/memories/search`, { query: 'fact', mode: 'text' });
    expect((theirs.body.hits as unknown[]).length).toBe(1);
  });
});
