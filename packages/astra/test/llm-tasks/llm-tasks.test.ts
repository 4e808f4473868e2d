import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { readAgent } from '../../src/services/agents/agent-store.js';
import { writePromptVersion } from '../../src/services/prompts/index.js';
import { fault } from '../support/llm-servers/index.js';
import { errorOf, resultOf } from '../support/tool-task-kit.js';
import { type LlmTaskHarness, llmTask, MODEL, openLlmTaskHarness, price } from './llm-task-harness.js';

/**
 * The LLM task types over a real kernel, the real router and OpenAI adapter, and the OpenAI
 * protocol server on loopback (docs/llm-tasks.md): what the model was asked, what the task
 * answers, the usage and cost attributed to it, and how router errors end it.
 */
let seen = 0;
/** The model requests of the running test, in order. */
const sent = (h: LlmTaskHarness) => h.server.requests.slice(seen).filter((r) => r.method === 'POST');
const model = (h: LlmTaskHarness, index: number) => sent(h)[index]?.body;

describe('LLM tasks', () => {
  let h: LlmTaskHarness;
  beforeAll(async () => {
    h = await openLlmTaskHarness({ context: 'You are the test agent. Be brief.' });
  });
  beforeEach(() => {
    seen = h.server.requests.length;
    h.setLimits({});
  });
  afterAll(async () => h.dispose());

  it('llm: answers text, with the agent context as the system message and the call attributed', async () => {
    h.server.script({
      text: ['Hel', 'lo.'],
      usage: { inputTokens: 30, outputTokens: 4, cachedInputTokens: 10 },
    });
    const { tasks } = await h.run([
      llmTask('ask', 'llm', {
        prompt: 'Say hello.',
        system: 'Answer in English.',
        max_tokens: 50,
        temperature: 0.2,
      }),
    ]);
    const result = resultOf(tasks.get('ask'));
    expect(result).toMatchObject({
      text: 'Hello.',
      model: MODEL,
      usage: { tokens_in: 30, tokens_out: 4, cached_tokens: 10, estimated: false },
      cost_dollars: price(30, 4),
      cache_hit: false,
      finish_reason: 'stop',
      attempts: [{ model: MODEL, outcome: 'ok' }],
    });
    expect(result).not.toHaveProperty('json');
    const body = model(h, 0);
    expect(body?.model).toBe('gpt-test');
    expect(body?.messages).toEqual([
      { role: 'system', content: 'You are the test agent. Be brief.\n\nAnswer in English.' },
      { role: 'user', content: 'Say hello.' },
    ]);
    expect(body?.temperature).toBe(0.2);
  });

  it('llm: answers JSON under a schema, and a JSON answer that breaks it ends ASTRA_LLM_OUTPUT_INVALID', async () => {
    const schema = {
      type: 'object',
      required: ['city', 'high'],
      additionalProperties: false,
      properties: { city: { type: 'string' }, high: { type: 'number' } },
    };
    h.server.script({ json: { city: 'Lisbon', high: 21 } }, { json: { city: 'Porto' } });
    const { tasks } = await h.run([
      llmTask('good', 'llm', { prompt: 'Weather?', schema, context: false }),
      llmTask('bad', 'llm', { prompt: 'Weather?', schema, context: false }, { dependsOn: ['good'] }),
    ]);
    expect(resultOf(tasks.get('good'))).toMatchObject({ json: { city: 'Lisbon', high: 21 }, model: MODEL });
    const body = model(h, 0);
    expect(body?.messages).toEqual([{ role: 'user', content: 'Weather?' }]);
    expect(body?.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema } });
    const error = errorOf(tasks.get('bad'));
    expect(error.code).toBe('ASTRA_LLM_OUTPUT_INVALID');
  });

  it('llm: renders a prompt template named by prompt_ref, and refuses variables that break its schema', async () => {
    const orgId = (await readAgent(h.kernel.store, h.agentId))?.orgId ?? '';
    for (const version of [1, 2])
      await writePromptVersion(h.kernel.store, {
        orgId,
        name: 'greet',
        version,
        body: `v${version}: Greet {{who}}.`,
        variablesSchema: { type: 'object', required: ['who'], properties: { who: { type: 'string' } } },
        createdBy: 'test',
      });
    h.server.script({ text: 'Hello, Ada.' }, { text: 'Hi.' });
    const { tasks } = await h.run([
      llmTask('latest', 'llm', { prompt_ref: { name: 'greet', variables: { who: 'Ada' } }, context: false }),
      llmTask('pinned', 'llm', {
        prompt_ref: { name: 'greet', version: 1, variables: { who: 'Bo' } },
        context: false,
      }),
      llmTask('broken', 'llm', { prompt_ref: { name: 'greet', variables: { who: 7 } } }, { maxRetries: 2 }),
    ]);
    expect(resultOf(tasks.get('latest'))).toMatchObject({
      text: 'Hello, Ada.',
      prompt: { name: 'greet', version: 2, experiment_id: null },
    });
    expect(resultOf(tasks.get('pinned'))).toMatchObject({ prompt: { name: 'greet', version: 1 } });
    const asked = sent(h).map(
      (request) => (request.body?.messages as { content: string }[] | undefined)?.[0]?.content,
    );
    expect(asked.sort()).toEqual(['v1: Greet Bo.', 'v2: Greet Ada.']);
    const error = errorOf(tasks.get('broken'));
    expect(error.code).toBe('ASTRA_PROMPT_VARIABLES_INVALID');
    expect(tasks.get('broken')?.attempt).toBe(1);
  });

  it('llm: a router error that may pass is retried, and the model that answered is recorded', async () => {
    // Every attempt of the first run fails (the router's own retries included), the second answers.
    h.server.script(fault(503), fault(503), fault(503), fault(503), { text: 'back' });
    const { tasks } = await h.run([llmTask('ask', 'llm', { prompt: 'Hi' }, { maxRetries: 5 })]);
    const task = tasks.get('ask');
    expect(resultOf(task)).toMatchObject({ text: 'back', model: MODEL });
    expect(task?.attempt).toBeGreaterThan(1);
  });

  it('llm: a budget that would be overrun ends the task ASTRA_LLM_BUDGET_EXCEEDED, unretried and unsent', async () => {
    h.setLimits({ goal: { tokens: 20, nanoUsd: null } });
    const { tasks } = await h.run([
      llmTask('ask', 'llm', { prompt: 'Hi', max_tokens: 100 }, { maxRetries: 3 }),
    ]);
    const error = errorOf(tasks.get('ask'));
    expect(error.code).toBe('ASTRA_LLM_BUDGET_EXCEEDED');
    expect(tasks.get('ask')?.attempt).toBe(1);
    expect(sent(h)).toHaveLength(0);
  });

  it('code_generate: writes the files of a structured answer into the workspace and lists them', async () => {
    const files = [
      { path: 'src/app.py', content: 'print("hello")\n' },
      { path: 'README.md', content: '# App\n' },
    ];
    h.server.script({ json: { files }, usage: { inputTokens: 80, outputTokens: 40 } });
    const { goalId, tasks } = await h.run([
      llmTask('code', 'code_generate', {
        instructions: 'A hello world app.',
        language: 'python',
        output_files: ['src/app.py', 'README.md', 'tests/test_app.py'],
      }),
    ]);
    const result = resultOf(tasks.get('code'));
    expect(result).toMatchObject({
      files_written: 2,
      llm_model: MODEL,
      tokens_in: 80,
      tokens_out: 40,
      format: 'json',
      missing_files: ['tests/test_app.py'],
      generated_files: [
        { path: 'src/app.py', bytes: 15, content: 'print("hello")\n' },
        { path: 'README.md', bytes: 6 },
      ],
    });
    expect(result.artifact_uri).toMatch(/^astra:\/\/artifacts\/[0-9a-f]{64}$/);
    const workspace = await h.workspaces.of(goalId);
    expect(await readFile(path.join(workspace.dir, 'src/app.py'), 'utf8')).toBe('print("hello")\n');
    const asked = model(h, 0);
    expect(JSON.stringify(asked?.messages)).toContain(
      'Files to write: src/app.py, README.md, tests/test_app.py.',
    );
    expect(asked?.response_format).toMatchObject({ type: 'json_schema' });
  });

  it('code_generate: refuses a path out of the workspace and writes nothing', async () => {
    h.server.script({
      json: {
        files: [
          { path: 'ok.txt', content: 'fine' },
          { path: '../escape.txt', content: 'no' },
        ],
      },
    });
    const { goalId, tasks } = await h.run([llmTask('code', 'code_generate', { instructions: 'Two files.' })]);
    const error = errorOf(tasks.get('code'));
    expect(error.code).toBe('ASTRA_TOOL_PATH_INVALID');
    expect(error.details.path).toBe('../escape.txt');
    const workspace = await h.workspaces.of(goalId);
    expect((await workspace.list('', 10)).entries).toEqual([]);
  });

  it('summarize: summarizes an earlier result given by $from, its input cut to the token budget', async () => {
    h.server.script({ text: ' - Lisbon is warm. ' });
    const long = 'The weather in Lisbon is warm and sunny today. '.repeat(400);
    const { tasks } = await h.run([
      llmTask('fetch', 'echo', { body: long }),
      llmTask(
        'sum',
        'summarize',
        {
          from: { $from: 'fetch', pointer: '/body' },
          max_words: 20,
          style: 'bullets',
          max_input_tokens: 200,
        },
        { dependsOn: ['fetch'] },
      ),
    ]);
    const result = resultOf(tasks.get('sum'));
    expect(result).toMatchObject({ summary: '- Lisbon is warm.', input_truncated: true, model: MODEL });
    expect(result.input_tokens).toBeGreaterThan(4000);
    const messages = model(h, 0)?.messages as { role: string; content: string }[];
    expect(messages[0]?.content).toContain('at most 20 words');
    expect(long.startsWith(messages[1]?.content ?? 'x')).toBe(true);
    expect(messages[1]?.content.length).toBeLessThan(long.length / 5);
  });

  it('refuses a malformed payload when the plan is submitted, naming the field', async () => {
    const submit = (payload: unknown, type = 'llm') =>
      h.kernel.kernel.engine
        .submitGoal({ agentId: h.agentId, goalText: 'x', plan: { tasks: [llmTask('a', type, payload)] } })
        .then(
          () => null,
          (error: unknown) => error,
        );
    const cases: [string, unknown, string][] = [
      ['llm', { prompt: 'x', temperature: 3 }, 'tasks[0].payload.temperature'],
      ['llm', { prompt: 'x', messages: [] }, 'tasks[0].payload.messages'],
      ['llm', { prompt_ref: { name: 'greet', version: 0 } }, 'tasks[0].payload.prompt_ref.version'],
      ['llm', { prompt: 'x', schema: { type: 'no-such-type' } }, 'tasks[0].payload.schema'],
      [
        'code_generate',
        { instructions: 'x', output_files: ['/etc/passwd'] },
        'tasks[0].payload.output_files[0]',
      ],
      ['summarize', { text: 'x', style: 'poem' }, 'tasks[0].payload.style'],
    ];
    for (const [type, payload, where] of cases) {
      const error = await submit(payload, type);
      expect(isAstraError(error, 'ASTRA_PLAN_INVALID'), `${type} ${JSON.stringify(payload)}`).toBe(true);
      expect((error as { details: { path: string } }).details.path).toBe(where);
    }
    expect(await submit({ text: { $from: 'nowhere' } }, 'summarize')).not.toBeNull();
  });
});

describe('code_generate without structured output', () => {
  let h: LlmTaskHarness;
  beforeAll(async () => {
    h = await openLlmTaskHarness({
      models: [{ ref: MODEL, tier: 'standard', jsonSchema: false, contextTokens: 128_000 }],
    });
  });
  beforeEach(() => {
    seen = h.server.requests.length;
  });
  afterAll(async () => h.dispose());

  it('asks for fenced file blocks when no model answers under a schema, and parses them', async () => {
    h.server.script({
      text: 'Here you go.\n\n```filepath:main.go\npackage main\n```\n\n**util/strings.go**\n```go\npackage util\n```\n',
    });
    const { goalId, tasks } = await h.run([
      llmTask('code', 'code_generate', { instructions: 'Go.', language: 'go' }),
    ]);
    expect(resultOf(tasks.get('code'))).toMatchObject({
      format: 'fenced',
      files_written: 2,
      generated_files: [{ path: 'main.go' }, { path: 'util/strings.go' }],
    });
    const workspace = await h.workspaces.of(goalId);
    expect(await readFile(path.join(workspace.dir, 'util/strings.go'), 'utf8')).toBe('package util\n');
    expect(model(h, 0)?.response_format).toBeUndefined();
  });
});
