import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { type AstraProcess, adminTokenOf, goalEnded, runAstra, urlFrom } from './astra-process.js';

/**
 * Issue 12's memory "done when", on a real `astra up` (embedded, offline embedder, pgvector in
 * PGlite) over REST, with the OpenAI protocol server as the only provider: goal 1 runs and a fact
 * is written with it as the provenance (through the SDK); the node stops and starts again on the
 * same data dir; goal 2, given only in words, is planned by the model and runs an `llm` task, and
 * the prompts the model received (the planner's and the task's) carry that fact with its memory
 * id, goal and task. A fact of another agent, and one that has been forgotten, are in neither.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-memory-e2e-'));
let astra: AstraProcess | undefined;
let server: LlmServer;
let client: AstraClient;

const start = async (): Promise<void> => {
  astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    OPENAI_API_KEY: 'sk-e2e-memory',
    OPENAI_BASE_URL: `${server.url}/v1`,
    ASTRA_LLM_DETECT_OLLAMA: 'false',
    // Goal 1's episode would summarize it through the same server, taking goal 2's scripted plan.
    ASTRA_MEMORY_EPISODES: 'false',
  });
  const url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  client = new AstraClient({ baseUrl: url, token: adminTokenOf(dataDir) });
};

const stop = async (): Promise<void> => {
  astra?.child.kill('SIGTERM');
  await astra?.exited;
  astra = undefined;
};

beforeAll(async () => {
  server = await startOpenAiServer({ apiKey: 'sk-e2e-memory', models: ['gpt-4o-mini'] });
  await start();
}, 120_000);

afterAll(async () => {
  await stop();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The system message of each chat completion the model received since `from`. */
const systemPrompts = (from: number): string[] =>
  server.requests
    .slice(from)
    .filter((request) => request.path.endsWith('/chat/completions'))
    .map((request) => {
      const messages = (request.body?.messages ?? []) as { role: string; content: unknown }[];
      return messages
        .filter((m) => m.role === 'system')
        .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
        .join('\n');
    });

describe('memory across goals and a restart', () => {
  it("a later goal's context holds the fact an earlier goal wrote, with its provenance", async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'rememberer' });
    const { actor_id: otherId } = await client.createAgent({ name: 'stranger' });
    const first = await client.submitGoal(agentId, {
      goal_text: 'Find out where the staging database listens',
      plan: { tasks: [{ id: 'look', type: 'noop' }] },
    });
    expect(await goalEnded(client, first.goal_id)).toBe('GoalCompleted');
    const taskId = (await client.getGoalDetails(first.goal_id)).tasks[0]?.id as string;
    const fact = await client.writeMemory(agentId, {
      content: 'The staging database listens on port 6543.',
      source_goal_id: first.goal_id,
      source_task_id: taskId,
    });
    expect(fact.outcome).toBe('created');
    const gone = await client.writeMemory(agentId, {
      content: 'The staging database password rotates monthly.',
    });
    await client.deleteMemory(gone.memory.id);
    await client.writeMemory(otherId, {
      content: 'The staging database of the stranger listens on port 1111.',
    });

    await stop();
    await start();

    const found = await client.searchMemories(agentId, { query: 'staging database port' });
    expect(found.vector_path).toBe('pgvector');
    expect(found.hits.map((hit) => hit.memory.id)).toEqual([fact.memory.id]);
    const before = server.requests.length;
    server.script(
      {
        json: {
          tasks: [
            {
              id: 'answer',
              type: 'llm',
              payload: { prompt: 'Say which port the staging database listens on.' },
              depends_on: [],
            },
          ],
        },
        usage: { inputTokens: 300, outputTokens: 40 },
      },
      { text: ['Port ', '6543.'], usage: { inputTokens: 60, outputTokens: 3 } },
    );
    const second = await client.submitGoal(agentId, {
      goal_text: 'Which port does the staging database listen on?',
    });
    const end = await goalEnded(client, second.goal_id);
    const { tasks } = await client.getGoalDetails(second.goal_id);
    expect(end, JSON.stringify(tasks.map((t) => [t.name, t.status, t.error]))).toBe('GoalCompleted');
    expect(tasks.find((t) => t.name === 'answer')?.result).toMatchObject({ text: 'Port 6543.' });

    const prompts = systemPrompts(before);
    expect(prompts).toHaveLength(2);
    const line = `- The staging database listens on port 6543. (memory ${fact.memory.id}; from goal ${first.goal_id}, task ${taskId}; ${fact.memory.created_at})`;
    for (const prompt of prompts) {
      expect(prompt).toContain('# Memories');
      expect(prompt).toContain(line);
      expect(prompt).not.toContain('1111');
      expect(prompt).not.toContain('rotates monthly');
    }
  }, 240_000);
});
