import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLexicalEmbedder } from '../../src/adapters/embedder/index.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { insertDocument } from '../../src/services/agents/index.js';
import { accountedEmbedder, SemanticMemory } from '../../src/services/memory/index.js';
import { assembleContext, type MemoryRecall } from '../../src/services/prompts/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestStore, sqlBackends } from '../support/sql.js';
import { seedAgent } from './memory-fixture.js';

/**
 * The agent's memories in its assembled context: recalled by the goal's text through real
 * semantic memory (offline embedder, hybrid search), written after rules and skills and before
 * context documents, each with its provenance; another agent's facts never appear.
 */
describe.each(sqlBackends())('memories in the context (%s)', (backend) => {
  let store: SqlStore;
  let drop: () => Promise<void>;
  const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
  let memory: SemanticMemory;
  let recall: MemoryRecall;

  beforeAll(async () => {
    ({ store, drop } = await createTestStore(backend));
    memory = new SemanticMemory({
      store,
      clock,
      embedder: accountedEmbedder(createLexicalEmbedder(), { interceptors: [], clock }),
    });
    recall = async (request) => (await memory.search({ ...request, k: 3 })).map((hit) => hit.memory);
  });
  afterAll(async () => {
    await drop?.();
  });

  const goal = async (agentId: string, text: string): Promise<string> => {
    const { rows } = await store.query<{ id: string }>(
      `INSERT INTO goals (agent_id, goal_text) VALUES ($1, $2) RETURNING id`,
      [agentId, text],
    );
    return (rows[0] as { id: string }).id;
  };

  it("recalls the facts relevant to the goal's text, with provenance, between skills and context documents", async () => {
    const agent = await seedAgent(store, `ctx-mem-${randomUUID().slice(0, 8)}`);
    const other = await seedAgent(store, `ctx-mem-${randomUUID().slice(0, 8)}`);
    const first = await goal(agent.agentId, 'find the staging database');
    const taskId = randomUUID();
    const fact = await memory.write({
      ...agent,
      content: 'The staging database listens on port 6543.',
      sourceGoalId: first,
      sourceTaskId: taskId,
    });
    await memory.write({ ...agent, content: 'Invoices are sent on Fridays.' });
    await memory.write({ ...other, content: 'The staging database of another agent is on port 1111.' });
    for (const [docType, name] of [
      ['skill', 'a skill'],
      ['context_doc', 'a context doc'],
    ] as const)
      await insertDocument(store, {
        agentId: agent.agentId,
        goalId: null,
        docType,
        name,
        content: `${name}.`,
        uri: null,
        metadata: {},
        priority: 100,
      });
    const second = await goal(agent.agentId, 'which port does the staging database listen on?');
    const context = await assembleContext({
      store,
      agentId: agent.agentId,
      goalId: second,
      tokenBudget: 4000,
      memories: recall,
    });
    const id = fact.memory.id;
    expect(context.system).toContain(
      `# Memories\n\n- The staging database listens on port 6543. (memory ${id}; from goal ${first}, task ${taskId}; ${fact.memory.createdAt})`,
    );
    expect(context.system).not.toContain('1111');
    expect(context.system.indexOf('a skill')).toBeLessThan(context.system.indexOf('# Memories'));
    expect(context.system.indexOf('# Memories')).toBeLessThan(context.system.indexOf('a context doc'));
    const memories = context.sections.filter((s) => s.kind === 'memory');
    expect(memories[0]).toMatchObject({ memoryId: id, included: true });
    // Without a recall, or with a goal whose words match nothing, there are none.
    const without = await assembleContext({
      store,
      agentId: agent.agentId,
      goalId: second,
      tokenBudget: 4000,
    });
    expect(without.system).not.toContain('# Memories');
  });
});
