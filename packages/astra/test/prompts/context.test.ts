import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/ports/sql-store.js';
import {
  activateRevision,
  createRevision,
  type DocType,
  insertAgent,
  insertDocument,
} from '../../src/services/agents/index.js';
import { countTokens } from '../../src/services/llm/index.js';
import { assembleContext, MIN_TRUNCATED_TOKENS } from '../../src/services/prompts/index.js';
import { createTestStore, sqlBackends } from '../support/sql.js';

/**
 * Context assembly (docs/prompts.md) over real databases with an agent's documents and revisions:
 * the system prompt's source (active revision, else latest, else the agent's), the order of the
 * sections (kind, priority, goal before agent, age), and the cuts to the budget counted with the
 * real tokenizer (lowest first; the system prompt truncated and reported, never dropped).
 */
describe.each(sqlBackends())('context assembly (%s)', (backend) => {
  let store: SqlStore;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ store, drop } = await createTestStore(backend));
  });
  afterAll(async () => {
    await drop();
  });

  let n = 0;
  const agent = async (systemPrompt: string | null = 'You are a careful agent.') =>
    (
      await insertAgent(store, {
        name: `ctx-${backend}-${n++}`,
        actorType: 'test',
        systemPrompt,
        config: {},
        chatCapable: false,
        tags: [],
      })
    ).id;
  const goal = async (agentId: string): Promise<string> => {
    const { rows } = await store.query<{ id: string }>(
      `INSERT INTO goals (agent_id, goal_text) VALUES ($1, 'a goal') RETURNING id`,
      [agentId],
    );
    return (rows[0] as { id: string }).id;
  };
  const doc = (
    agentId: string,
    docType: DocType,
    name: string,
    content: string,
    options: { priority?: number; goalId?: string; uri?: string } = {},
  ) =>
    insertDocument(store, {
      agentId,
      goalId: options.goalId ?? null,
      docType,
      name,
      content: options.uri === undefined ? content : null,
      uri: options.uri ?? null,
      metadata: {},
      priority: options.priority ?? 100,
    });

  it('orders by kind, then priority, then goal before agent, then age, and skips other goals', async () => {
    const id = await agent();
    const mine = await goal(id);
    const other = await goal(id);
    await doc(id, 'reference', 'api', '', { uri: 'https://docs.example/api' });
    await doc(id, 'context_doc', 'agent context', 'Agent-wide context.');
    await doc(id, 'context_doc', 'goal context', 'Goal context.', { goalId: mine });
    await doc(id, 'context_doc', 'other goal', 'Not this goal.', { goalId: other });
    await doc(id, 'skill', 'skill b', 'Skill B.', { priority: 5 });
    await doc(id, 'rule', 'late rule', 'Rule two.', { priority: 200 });
    await doc(id, 'rule', 'first rule', 'Rule one.', { priority: 1 });
    await doc(id, 'skill', 'skill a', 'Skill A.', { priority: 5 });
    const context = await assembleContext({ store, agentId: id, goalId: mine, tokenBudget: 10_000 });
    expect(context.sections.map((s) => [s.kind, s.title, s.scope])).toEqual([
      ['system_prompt', 'system prompt', 'agent'],
      ['rule', 'first rule', 'agent'],
      ['rule', 'late rule', 'agent'],
      ['skill', 'skill b', 'agent'],
      ['skill', 'skill a', 'agent'],
      ['context_doc', 'goal context', 'goal'],
      ['context_doc', 'agent context', 'agent'],
      ['reference', 'api', 'agent'],
    ]);
    expect(context.system).toBe(
      [
        'You are a careful agent.',
        '# Rules',
        '## first rule\nRule one.',
        '## late rule\nRule two.',
        '# Skills',
        '## skill b\nSkill B.',
        '## skill a\nSkill A.',
        '# Context',
        '## goal context\nGoal context.',
        '## agent context\nAgent-wide context.',
        '# References',
        '## api\nSee https://docs.example/api',
      ].join('\n\n'),
    );
    expect(context.tokens).toBe(countTokens(context.system));
    expect(context.sections.every((s) => s.included && !s.truncated && s.tokens === s.fullTokens)).toBe(true);
    expect(context.systemPromptTruncated).toBe(false);
    // Without the goal: agent-wide documents only.
    const agentOnly = await assembleContext({ store, agentId: id, tokenBudget: 10_000 });
    expect(agentOnly.sections.map((s) => s.title)).not.toContain('goal context');
  });

  it('takes the system prompt from the active revision, else the latest, else the agent', async () => {
    const id = await agent('own prompt');
    expect((await assembleContext({ store, agentId: id, tokenBudget: 100 })).system).toBe('own prompt');
    await store.transaction((tx) =>
      createRevision(tx, { agentId: id, payload: { system_prompt: 'revision one' }, createdBy: null }),
    );
    await store.transaction((tx) =>
      createRevision(tx, { agentId: id, payload: { system_prompt: 'revision two' }, createdBy: null }),
    );
    const latest = await assembleContext({ store, agentId: id, tokenBudget: 100 });
    expect([latest.system, latest.revision]).toEqual(['revision two', 2]);
    expect(await activateRevision(store, id, 1)).toBe(true);
    const active = await assembleContext({ store, agentId: id, tokenBudget: 100 });
    expect([active.system, active.revision]).toEqual(['revision one', 1]);
    // A revision that sets only config leaves the agent's prompt.
    const configOnly = await agent('kept prompt');
    await store.transaction((tx) =>
      createRevision(tx, { agentId: configOnly, payload: { config: { a: 1 } }, createdBy: null }),
    );
    const kept = await assembleContext({ store, agentId: configOnly, tokenBudget: 100 });
    expect([kept.system, kept.revision]).toEqual(['kept prompt', null]);
  });

  it('drops the lowest sections first, truncates the one at the edge, and stays within the budget', async () => {
    const id = await agent('System.');
    const long = (word: string) => Array.from({ length: 400 }, (_, i) => `${word}${i}`).join(' ');
    await doc(id, 'rule', 'rule', 'Always cite sources.');
    await doc(id, 'skill', 'skill', long('skill'));
    await doc(id, 'context_doc', 'context', long('context'));
    await doc(id, 'reference', 'reference', 'A short reference.');
    const whole = await assembleContext({ store, agentId: id, tokenBudget: 100_000 });
    const [prompt, rule, skill] = whole.sections;
    // Room for the prompt, the rule and part of the skill.
    const budget =
      (prompt?.fullTokens ?? 0) + (rule?.fullTokens ?? 0) + Math.floor((skill?.fullTokens ?? 0) / 2);
    const context = await assembleContext({ store, agentId: id, tokenBudget: budget });
    expect(context.tokens).toBeLessThanOrEqual(budget);
    expect(context.tokens).toBe(countTokens(context.system));
    expect(context.sections.map((s) => [s.kind, s.included, s.truncated])).toEqual([
      ['system_prompt', true, false],
      ['rule', true, false],
      ['skill', true, true],
      ['context_doc', false, false],
      ['reference', false, false],
    ]);
    const cut = context.sections[2];
    expect(cut?.tokens).toBeGreaterThan(MIN_TRUNCATED_TOKENS);
    expect(cut?.tokens).toBeLessThan(cut?.fullTokens ?? 0);
    expect(context.system).toContain('skill0 skill1');
    expect(context.system).not.toContain('skill399');
    expect(context.system).not.toContain('context0');
    expect(context.systemPromptTruncated).toBe(false);
  });

  it('drops a section when the room left is too small to be worth a stub, and a later small one may fit', async () => {
    const id = await agent('System.');
    await doc(id, 'rule', 'big', Array.from({ length: 300 }, (_, i) => `word${i}`).join(' '));
    await doc(id, 'reference', 'tiny', 'ok');
    const whole = await assembleContext({ store, agentId: id, tokenBudget: 100_000 });
    const budget = (whole.sections[0]?.fullTokens ?? 0) + 20;
    const context = await assembleContext({ store, agentId: id, tokenBudget: budget });
    expect(context.sections.map((s) => [s.title, s.included, s.truncated])).toEqual([
      ['system prompt', true, false],
      ['big', false, false],
      ['tiny', true, false],
    ]);
    expect(context.tokens).toBeLessThanOrEqual(budget);
  });

  it('never drops the system prompt: over the budget, it is truncated and reported', async () => {
    const id = await agent(Array.from({ length: 500 }, (_, i) => `instruction ${i}.`).join(' '));
    await doc(id, 'rule', 'rule', 'A rule.');
    const context = await assembleContext({ store, agentId: id, tokenBudget: 50 });
    expect(context.systemPromptTruncated).toBe(true);
    expect(context.tokens).toBeLessThanOrEqual(50);
    expect(context.tokens).toBeGreaterThan(40);
    expect(context.system.startsWith('instruction 0. instruction 1.')).toBe(true);
    expect(context.sections.map((s) => [s.kind, s.included, s.truncated])).toEqual([
      ['system_prompt', true, true],
      ['rule', false, false],
    ]);
  });

  it('answers a missing agent with ASTRA_NOT_FOUND and a bad budget with ASTRA_VALIDATION_FAILED', async () => {
    await expect(
      assembleContext({ store, agentId: '00000000-0000-4000-8000-000000000000', tokenBudget: 10 }),
    ).rejects.toMatchObject({ code: 'ASTRA_NOT_FOUND' });
    await expect(assembleContext({ store, agentId: await agent(), tokenBudget: 0 })).rejects.toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
    });
  });
});
