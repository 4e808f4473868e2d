import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBubblewrapDriver } from '../../src/adapters/sandbox/bubblewrap/driver.js';
import { isAstraError } from '../../src/errors/index.js';
import type { JsonValue } from '../../src/kernel/index.js';
import { type EvaluatorDeps, evaluate, parseEvaluationSpec } from '../../src/services/evaluation/index.js';
import { claimedTask, type JudgeKit, openJudgeKit } from './judge-kit.js';

/**
 * Each validator kind passing and failing on real inputs: the local checks, a command in the
 * bubblewrap sandbox, the LLM judge and the pairwise comparison through the router and the OpenAI
 * protocol server (the requests it received show what the judge was shown).
 */
const ORG = '00000000-0000-4000-8000-0000000000aa';

async function run(
  deps: Omit<EvaluatorDeps, 'orgOf'>,
  validators: unknown[],
  result: JsonValue,
  task = claimedTask(),
) {
  const spec = parseEvaluationSpec(validators, 'evaluate', { dependsOn: Object.keys(task.dependencies) });
  return evaluate({ ...deps, orgOf: async () => ORG }, spec, {
    task,
    result,
    signal: new AbortController().signal,
  });
}

describe('local validators', () => {
  it('json_schema passes a conforming value and fails another with the issue', async () => {
    const schema = { type: 'object', required: ['city'], properties: { city: { type: 'string' } } };
    expect((await run({}, [{ kind: 'json_schema', schema }], { city: 'Lisbon' })).passed).toBe(true);
    const failed = await run({}, [{ kind: 'json_schema', schema }], { town: 'Lisbon' });
    expect(failed.passed).toBe(false);
    expect(failed.results[0]?.reason).toContain('/city');
  });

  it('regex and contains read strings as they are, other values as JSON, at the pointer', async () => {
    const validators = [
      { kind: 'regex', pattern: '^\\d{4}-\\d{2}$', pointer: '/month' },
      { kind: 'contains', text: 'LISBON', ignore_case: true },
    ];
    const passed = await run({}, validators, { month: '2026-12', city: 'Lisbon' });
    expect(passed.results.map((r) => r.pass)).toEqual([true, true]);
    expect(passed.score).toBe(1);
    const failed = await run({}, validators, { month: 'December', city: 'Porto' });
    expect(failed.results.map((r) => r.pass)).toEqual([false, false]);
    const missing = await run({}, [{ kind: 'regex', pattern: 'x', pointer: '/nope' }], { month: 'x' });
    expect(missing.results[0]?.reason).toContain('no value at /nope');
    const half = await run({}, validators, { month: '2026-12', city: 'Porto' });
    expect(half).toMatchObject({ passed: false, score: 0.5 });
  });

  it('refuses bad specs at parse time with the path', () => {
    const cases: [unknown, string][] = [
      [[{ kind: 'regex', pattern: '(' }], 'evaluate[0].pattern'],
      [[{ kind: 'nope' }], 'evaluate[0].kind'],
      [[{ kind: 'json_schema', schema: { type: 'nonsense' } }], 'evaluate[0].schema'],
      [[{ kind: 'command', argv: ['sh'] }], 'evaluate[0].argv[0]'],
      [[{ kind: 'contains', text: 'a', extra: 1 }], 'evaluate[0].extra'],
      [[{ kind: 'pairwise', rubric: 'r', against: { task: 'other' } }], 'evaluate[0].against.task'],
      [{ validators: [{ kind: 'contains', text: 'a' }], on_fail: 'later' }, 'evaluate.on_fail'],
      [[], 'evaluate'],
    ];
    for (const [raw, path] of cases) {
      let caught: unknown;
      try {
        parseEvaluationSpec(raw, 'evaluate');
      } catch (error) {
        caught = error;
      }
      expect(isAstraError(caught, 'ASTRA_EVALUATION_INVALID'), JSON.stringify(raw)).toBe(true);
      expect((caught as { details: { path: string } }).details.path).toBe(path);
    }
  });
});

describe('the command validator in the bubblewrap sandbox', () => {
  const sandbox = createBubblewrapDriver({ slots: 2 });
  afterAll(() => sandbox.close());

  it('passes on exit 0 and fails on another status, reading the value on stdin', async (context) => {
    const availability = await sandbox.available();
    if (!availability.ok) return context.skip(availability.reason);
    const grep = {
      kind: 'command',
      argv: ['/bin/sh', '-c', 'grep -q "good" && cat "$ASTRA_FILES/result.json"'],
    };
    const passed = await run({ sandbox }, [grep], 'a good answer');
    expect(passed.passed).toBe(true);
    expect(passed.results[0]?.details.stdout).toBe('"a good answer"');
    const failed = await run({ sandbox }, [grep], 'a bad answer');
    expect(failed.passed).toBe(false);
    expect(failed.results[0]?.details.exit_code).toBe(1);
  });

  it('is unavailable, not failed, without a sandbox', async () => {
    await expect(run({}, [{ kind: 'command', argv: ['/bin/true'] }], 'x')).rejects.toMatchObject({
      code: 'ASTRA_EVALUATION_UNAVAILABLE',
    });
  });
});

describe('model validators through the router', () => {
  let kit: JudgeKit;
  beforeAll(async () => {
    kit = await openJudgeKit();
  });
  afterAll(() => kit.close());

  const lastUserMessage = (): string => {
    const body = kit.server.requests.at(-1)?.body as { messages: { role: string; content: string }[] };
    return body.messages.find((m) => m.role === 'user')?.content ?? '';
  };

  it('llm_judge passes on the judge’s pass and a score at the threshold, with the call scoped to the task', async () => {
    const judge = { kind: 'llm_judge', rubric: 'Names a city.', threshold: 0.7, reference: 'Lisbon' };
    kit.server.script(
      { json: { score: 0.9, pass: true, reason: 'names Lisbon' } },
      { json: { score: 0.6, pass: true, reason: 'vague' } },
      { json: { score: 0.1, pass: false, reason: 'no city' } },
    );
    const passed = await run({ llm: kit.llm }, [judge], 'Lisbon is the answer');
    expect(passed.results[0]).toMatchObject({ pass: true, score: 0.9, reason: 'names Lisbon' });
    expect(passed.results[0]?.details).toMatchObject({ model: 'openai/gpt-judge', judge_pass: true });
    expect(lastUserMessage()).toContain('Names a city.');
    expect(lastUserMessage()).toContain('<reference>\nLisbon');
    const body = kit.server.requests.at(-1)?.body as { response_format?: { type: string } };
    expect(body.response_format?.type).toBe('json_schema');
    const below = await run({ llm: kit.llm }, [judge], 'somewhere');
    expect(below.results[0]).toMatchObject({ pass: false, score: 0.6 });
    expect(below.results[0]?.reason).toContain('below the threshold');
    expect((await run({ llm: kit.llm }, [judge], 'nothing')).passed).toBe(false);
  });

  it('pairwise shows the candidates in the order the random source picks and records it', async () => {
    const draft = claimedTask({ dependencies: { baseline: 'the BASELINE text' } });
    const pairwise = { kind: 'pairwise', rubric: 'More concise.', against: { task: 'baseline' } };
    const picks = [0.2, 0.8];
    const random = () => picks.shift() ?? 0;
    kit.server.script(
      { json: { winner: 'A', reason: 'shorter' } },
      { json: { winner: 'A', reason: 'shorter' } },
    );
    const first = await run({ llm: kit.llm, random }, [pairwise], 'the CANDIDATE text', draft);
    expect(lastUserMessage()).toMatch(/<A>\nthe CANDIDATE text\n<\/A>[\s\S]*<B>\nthe BASELINE text/);
    expect(first.results[0]).toMatchObject({ pass: true, score: 1 });
    expect(first.results[0]?.details).toMatchObject({
      shown_as_a: 'candidate',
      winner: 'A',
      preferred: 'candidate',
    });
    const second = await run({ llm: kit.llm, random }, [pairwise], 'the CANDIDATE text', draft);
    expect(lastUserMessage()).toMatch(/<A>\nthe BASELINE text\n<\/A>[\s\S]*<B>\nthe CANDIDATE text/);
    expect(second.results[0]).toMatchObject({ pass: false, score: 0 });
    expect(second.results[0]?.details).toMatchObject({
      shown_as_a: 'baseline',
      winner: 'A',
      preferred: 'baseline',
    });
  });

  it('a router failure makes the validator unavailable', async () => {
    await expect(
      run({ llm: kit.llm }, [{ kind: 'llm_judge', rubric: 'r', model: 'openai/unknown-model' }], 'x'),
    ).rejects.toMatchObject({ code: 'ASTRA_EVALUATION_UNAVAILABLE' });
  });
});
