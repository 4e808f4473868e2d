import { describe, expect, it } from 'vitest';
import { CORPUS_TOOLS, corpusEnv, recordedLlm } from '../../src/bench/planner-env.js';
import type { LlmMessage } from '../../src/ports/llm.js';
import {
  checkPlannedPlan,
  kernelPathToPointer,
  PlanRejected,
  planGoal,
  replanPolicy,
  validatePlannedPlan,
} from '../../src/services/planner/index.js';

/**
 * The planner's validator, one rule at a time with the JSON Pointer each issue names, and the
 * repair loop: issues go back to the model, a repaired answer is taken, and after the last attempt
 * the goal is rejected with the last issues (never a placeholder plan).
 */
const task = (id: string, type: string, payload: unknown = {}, dependsOn: string[] = []) => ({
  id,
  type,
  payload,
  depends_on: dependsOn,
});
const fetch = (url: unknown = 'https://example.com', id = 'fetch') =>
  task(id, 'tool', { tool: 'http_request', input: { url } });
const paths = (raw: unknown, env = corpusEnv()) => validatePlannedPlan(raw, env).map((issue) => issue.path);

describe('validatePlannedPlan', () => {
  it('takes a valid plan and answers the kernel plan', () => {
    const check = checkPlannedPlan(
      { tasks: [fetch(), task('sum', 'summarize', { text: { $from: 'fetch' } }, ['fetch'])] },
      corpusEnv(),
    );
    expect(check.issues).toEqual([]);
    expect(check.plan?.tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['fetch', []],
      ['sum', ['fetch']],
    ]);
    expect(check.estimate.tokens).toBe(4_500);
  });

  it('points at the fields the schema refuses', () => {
    expect(
      paths({ tasks: [{ id: '-bad', type: 'noop', payload: {}, depends_on: [], priority: 1 }] }),
    ).toEqual(['/tasks/0/priority', '/tasks/0/id']);
    expect(paths({ steps: [] })).toEqual(['/tasks', '/steps']);
    expect(paths('a plan')).toEqual(['']);
  });

  it('names an unknown task type and the types there are', () => {
    const [issue] = validatePlannedPlan({ tasks: [task('a', 'browse')] }, corpusEnv());
    expect(issue).toEqual({
      path: '/tasks/0/type',
      reason: expect.stringContaining('unknown task type "browse"'),
    });
    expect(issue?.reason).toContain('tool, llm, summarize, echo, noop');
  });

  it('reports every cycle member path once, and dependencies on missing tasks or the task itself', () => {
    expect(
      paths({
        tasks: [task('a', 'noop', {}, ['c']), task('b', 'noop', {}, ['a']), task('c', 'noop', {}, ['b'])],
      }),
    ).toEqual(['/tasks/0/depends_on']);
    expect(paths({ tasks: [task('a', 'noop', {}, ['a', 'zz'])] })).toEqual([
      '/tasks/0/depends_on/0',
      '/tasks/0/depends_on/1',
    ]);
    expect(paths({ tasks: [task('a', 'noop'), task('a', 'noop')] })).toEqual(['/tasks/1/id']);
  });

  it('tells a tool the agent may not use from one that does not exist', () => {
    const env = { ...corpusEnv(), tools: CORPUS_TOOLS.filter((tool) => tool.name !== 'shell_exec') };
    const issues = validatePlannedPlan(
      {
        tasks: [
          task('a', 'tool', { tool: 'shell_exec', input: { command: 'ls' } }),
          task('b', 'tool', { tool: 'browser:screenshot', input: {} }),
          task('c', 'tool', { tool: 'nothing_like_it' }),
          task('d', 'tool', { tool: 'http_request@9.9.9', input: { url: 'x' } }),
          task('e', 'tool', { tool: 'Not A Ref' }),
        ],
      },
      { ...env, registeredTools: new Set([...(env.registeredTools ?? []), 'shell_exec']) },
    );
    expect(issues.map((issue) => [issue.path, issue.reason.slice(0, 30)])).toEqual([
      ['/tasks/0/payload/tool', 'the agent may not use tool "sh'],
      ['/tasks/1/payload/tool', 'the agent may not use tool "br'],
      ['/tasks/2/payload/tool', 'no tool "nothing_like_it" exis'],
      ['/tasks/3/payload/tool', 'version 9.9.9 of "http_request'],
      ['/tasks/4/payload/tool', 'is not a tool reference (name,'],
    ]);
  });

  it("checks a tool task's input against that tool's schema, leaving references to the claim", () => {
    expect(paths({ tasks: [fetch(42)] })).toEqual(['/tasks/0/payload/input/url']);
    expect(
      paths({ tasks: [task('w', 'tool', { tool: 'file_write@1.0.0', input: { path: '', extra: 1 } })] }),
    ).toEqual([
      '/tasks/0/payload/input/content',
      '/tasks/0/payload/input/extra',
      '/tasks/0/payload/input/path',
    ]);
    const referenced = {
      tasks: [
        fetch(),
        task(
          'w',
          'tool',
          { tool: 'file_write', input: { path: 'a', content: { $from: 'fetch', pointer: '/body' } } },
          ['fetch'],
        ),
      ],
    };
    expect(paths(referenced)).toEqual([]);
  });

  it('refuses a plan whose estimated cost is over the budget', () => {
    const plan = {
      tasks: [task('a', 'llm', { prompt: 'x' }), task('b', 'llm', { prompt: 'y', max_tokens: 10_000 })],
    };
    expect(checkPlannedPlan(plan, corpusEnv()).estimate).toEqual({ tokens: 15_000, usd: 0.12 });
    const issues = validatePlannedPlan(plan, corpusEnv({ tokens: 10_000, usd: 0.05 }));
    expect(issues.map((issue) => issue.path)).toEqual(['/tasks', '/tasks']);
    expect(issues[0]?.reason).toContain("estimated at 15000 tokens, over the goal's budget of 10000");
    expect(paths({ tasks: [task('a', 'noop'), task('b', 'noop')] }, corpusEnv({ maxTasks: 1 }))).toEqual([
      '/tasks',
    ]);
  });

  it("answers the kernel's own refusal as a pointer once the planner's rules pass", () => {
    const plan = { tasks: [fetch(), task('b', 'echo', { x: { $from: 'fetch' } })] };
    expect(validatePlannedPlan(plan, corpusEnv())).toEqual([
      { path: '/tasks/1/payload/x', reason: expect.stringContaining('not an ancestor of "b"') },
    ]);
    const egress = {
      tasks: [task('a', 'tool', { tool: 'http_request', input: { url: 'x' }, egress: 'all' })],
    };
    expect(paths(egress)).toEqual(['/tasks/0/payload/egress']);
  });

  it('flags the tasks the approval policy holds, without an issue', () => {
    const rule = { required: 1, approvers: [], ttlMs: null };
    const env = {
      ...corpusEnv(),
      approval: { plan: null, task: (t: { type: string }) => (t.type === 'tool' ? rule : null) },
    };
    const check = checkPlannedPlan({ tasks: [task('n', 'noop'), fetch()] }, env);
    expect(check.issues).toEqual([]);
    expect(check.flagged).toEqual([
      { taskId: 'fetch', path: '/tasks/1', tool: 'http_request@1.0.0', riskTier: 'medium', rule },
    ]);
  });

  it('turns kernel paths into JSON Pointers', () => {
    expect(kernelPathToPointer('tasks[2].payload.body[0]')).toBe('/tasks/2/payload/body/0');
    expect(kernelPathToPointer('tasks[0].payload["odd/key~"]')).toBe('/tasks/0/payload/odd~1key~0');
    expect(kernelPathToPointer('')).toBe('');
  });
});

describe('planGoal', () => {
  const { tools: _tools, ...env } = corpusEnv();
  const input = (answers: string[]) => {
    const llm = recordedLlm(answers);
    return {
      llm,
      input: {
        ...env,
        goalText: 'fetch example.com',
        context: 'You are a careful agent.',
        allowedTools: CORPUS_TOOLS,
        llm,
        scope: { orgId: 'o', agentId: 'a', goalId: 'g', taskId: 't', purpose: 'plan' },
      },
    };
  };
  const content = (message: LlmMessage | undefined): string => (message === undefined ? '' : message.content);

  it('asks under the plan schema with the tools and context, and repairs on the 2nd attempt from the issues', async () => {
    const bad = JSON.stringify({ tasks: [fetch(7)] });
    const good = JSON.stringify({ tasks: [fetch()] });
    const { llm, input: planInput } = input([bad, good]);
    const planned = await planGoal(planInput);
    expect(planned.plan.tasks.map((t) => t.id)).toEqual(['fetch']);
    expect(planned.attempts.map((a) => a.issues.length)).toEqual([1, 0]);
    expect(planned.usage.inputTokens).toBe(2_000);
    const [first, second] = llm.calls;
    expect(first?.responseFormat?.type).toBe('json_schema');
    expect(first?.taskType).toBe('plan');
    expect(content(first?.messages[0])).toContain('You are a careful agent.');
    expect(content(first?.messages[1])).toContain('"tool":"http_request@1.0.0"');
    expect(second?.messages.slice(2).map((m) => m.role)).toEqual(['assistant', 'user']);
    expect(content(second?.messages[2])).toBe(bad);
    expect(content(second?.messages[3])).toContain(
      '{"path":"/tasks/0/payload/input/url","reason":"must be string',
    );
  });

  it('rejects with the last issues after maxAttempts, never a placeholder plan', async () => {
    const cyclic = JSON.stringify({ tasks: [task('a', 'noop', {}, ['b']), task('b', 'noop', {}, ['a'])] });
    const { llm, input: planInput } = input(['not json', cyclic]);
    const rejected = await planGoal({ ...planInput, maxAttempts: 2 }).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(PlanRejected);
    const error = rejected as PlanRejected;
    expect(error.code).toBe('ASTRA_PLAN_REJECTED');
    expect(error.httpStatus).toBe(422);
    expect(error.issues.map((issue) => issue.path)).toEqual(['/tasks/0/depends_on']);
    expect(error.attempts.map((a) => a.issues[0]?.path)).toEqual(['', '/tasks/0/depends_on']);
    expect(JSON.parse(String(error.details.issues))).toEqual(error.issues);
    expect(JSON.parse(error.taskError()).details.issues).toEqual(error.issues);
    expect(llm.calls).toHaveLength(2);
  });

  it('throws router errors other than an invalid answer as they are', async () => {
    const { input: planInput } = input([]);
    await expect(planGoal(planInput)).rejects.toThrow('the recording has 0 answers');
  });
});

describe('a re-plan (dependable finished tasks)', () => {
  const uses = (from: string, pointer?: string) =>
    task('redo', 'summarize', { text: { $from: from, ...(pointer === undefined ? {} : { pointer }) } }, [
      from,
    ]);

  it('lets new tasks depend on a finished task and use its result, and only then', () => {
    const env = {
      ...corpusEnv(),
      dependable: new Set(['fetch']),
      existingTaskIds: new Set(['fetch', 'gone']),
    };
    const check = checkPlannedPlan({ tasks: [uses('fetch', '/body')] }, env);
    expect(check.issues).toEqual([]);
    // The finished task is not part of the plan the patch adds.
    expect(check.plan?.tasks.map((t) => [t.id, t.dependsOn])).toEqual([['redo', ['fetch']]]);
    // Ordinary planning: the same plan names a task that is not in it.
    expect(validatePlannedPlan({ tasks: [uses('fetch')] }, corpusEnv())).toEqual([
      { path: '/tasks/0/depends_on/0', reason: 'names no task of the plan ("fetch")' },
    ]);
  });

  it('refuses a dependency on a task that did not finish, a taken id, and $from onto a non-ancestor', () => {
    const env = {
      ...corpusEnv(),
      dependable: new Set(['fetch']),
      existingTaskIds: new Set(['fetch', 'gone']),
    };
    expect(validatePlannedPlan({ tasks: [uses('gone'), task('fetch', 'noop')] }, env)).toEqual([
      { path: '/tasks/0/depends_on/0', reason: 'names no task of the plan nor a completed task ("gone")' },
      { path: '/tasks/1/id', reason: '"fetch" is taken by a task already in the goal\'s graph' },
    ]);
    const far = task('redo', 'summarize', { text: { $from: 'fetch' } });
    expect(validatePlannedPlan({ tasks: [far] }, env)).toEqual([
      {
        path: '/tasks/0/payload/text',
        reason: expect.stringContaining('"$from" names task "fetch", which is not an ancestor of "redo"'),
      },
    ]);
  });
});

describe('replanPolicy', () => {
  it("takes the submission's flag, else the agent's config.planner.replan, else no", () => {
    expect(replanPolicy(true, {})).toBe(true);
    expect(replanPolicy(false, { planner: { replan: true } })).toBe(false);
    expect(replanPolicy(undefined, { planner: { replan: true } })).toBe(true);
    expect(replanPolicy(undefined, { planner: { replan: 'yes' } })).toBe(false);
    expect(replanPolicy(undefined, {})).toBe(false);
  });
});
