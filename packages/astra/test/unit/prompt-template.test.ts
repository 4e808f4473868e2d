import { describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { checkTemplate, PromptVariablesError, renderPrompt } from '../../src/services/prompts/render.js';

/**
 * The prompt template syntax (docs/prompts.md): placeholders, conditions, loops, the one escape,
 * standalone block lines; and the refusals: a malformed body (ASTRA_VALIDATION_FAILED with the
 * line), an undeclared placeholder and variables that break the schema (ASTRA_PROMPT_VARIABLES_INVALID
 * with JSON Pointer issues).
 */
const schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    count: { type: 'integer', minimum: 0 },
    user: { type: 'object', properties: { email: { type: 'string' }, tags: { type: 'array' } } },
    urgent: { type: 'boolean' },
    files: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, lines: { type: 'integer' } } },
    },
    extra: {},
  },
  required: ['name'],
  additionalProperties: false,
};

const render = (body: string, variables: Record<string, unknown>): string =>
  renderPrompt({ body, variablesSchema: schema }, variables);

function refusal(run: () => unknown): {
  code: string;
  issues: readonly { path: string; message: string }[];
  details: unknown;
} {
  try {
    run();
  } catch (error) {
    if (!isAstraError(error)) throw error;
    return {
      code: error.code,
      issues: error instanceof PromptVariablesError ? error.issues : [],
      details: error.details,
    };
  }
  throw new Error('expected a refusal');
}

describe('prompt templates: rendering', () => {
  it('fills placeholders and nested fields, with spaces ignored inside the braces', () => {
    expect(render('Hello {{name}}, {{ user.email }}!', { name: 'Ada', user: { email: 'ada@x.test' } })).toBe(
      'Hello Ada, ada@x.test!',
    );
  });

  it('writes numbers and booleans as text, objects and arrays as compact JSON, null and absent as nothing', () => {
    const out = render('{{count}}|{{urgent}}|{{user}}|{{user.tags}}|{{extra}}|{{user.email}}', {
      name: 'n',
      count: 3,
      urgent: false,
      user: { tags: ['a', 'b'] },
      extra: null,
    });
    expect(out).toBe('3|false|{"tags":["a","b"]}|["a","b"]||');
  });

  it('inserts values as text, never as a template (one pass)', () => {
    expect(render('Say: {{name}}', { name: '{{count}} \\{{x}}' })).toBe('Say: {{count}} \\{{x}}');
  });

  it('takes \\{{ as a literal {{ and every other brace or backslash as text', () => {
    expect(render('\\{{name}} is {{name}}; }} {x} \\n \\\\', { name: 'v' })).toBe(
      '{{name}} is v; }} {x} \\n \\\\',
    );
  });

  it('renders conditions with an else, by truthiness', () => {
    const body =
      '{{#if urgent}}URGENT{{else}}normal{{/if}}/{{#if count}}n={{count}}{{/if}}/{{#if user.tags}}t{{/if}}';
    expect(render(body, { name: 'x', urgent: true, count: 0, user: { tags: [] } })).toBe('URGENT//');
    expect(render(body, { name: 'x', count: 2, user: { tags: ['a'] } })).toBe('normal/n=2/t');
  });

  it('loops over arrays with a named element, nested in conditions, and outer names stay visible', () => {
    const body = '{{#each files as f}}{{name}}:{{f.path}}({{f.lines}}) {{/each}}';
    expect(render(body, { name: 'r', files: [{ path: 'a.ts', lines: 1 }, { path: 'b.ts' }] })).toBe(
      'r:a.ts(1) r:b.ts() ',
    );
    expect(render(body, { name: 'r' })).toBe('');
  });

  it('drops the lines of block tags that stand alone on them', () => {
    const body = [
      'Files:',
      '{{#each files as f}}',
      '  - {{f.path}}',
      '{{/each}}',
      '{{#if urgent}}',
      'Hurry.',
      '{{/if}}',
      'End.',
    ].join('\n');
    expect(render(body, { name: 'x', files: [{ path: 'a' }, { path: 'b' }], urgent: true })).toBe(
      'Files:\n  - a\n  - b\nHurry.\nEnd.',
    );
    expect(render(body, { name: 'x' })).toBe('Files:\nEnd.');
    // Not alone on the line: kept as written.
    expect(render('a {{#if urgent}}b{{/if}} c', { name: 'x' })).toBe('a  c');
  });
});

describe('prompt templates: refusals', () => {
  it('refuses a malformed body with the line of the problem', () => {
    for (const [body, reason] of [
      ['ok\n{{#if urgent}}never closed', /line 2: \{\{#if\}\} is never closed/],
      ['{{/each}}', /line 1: .*closes nothing open/],
      ['a\nb\n{{name', /line 3: \{\{ is never closed/],
      ['{{ name | upper }}', /is not a placeholder/],
      ['{{#each files}}{{/each}}', /is not a placeholder/],
      ['{{else}}', /outside an/],
      ['{{#if urgent}}{{/each}}', /closes nothing open/],
    ] as const) {
      const got = refusal(() => checkTemplate({ body, variablesSchema: schema }));
      expect(got.code, body).toBe('ASTRA_VALIDATION_FAILED');
      expect(String((got.details as { reason: string }).reason), body).toMatch(reason);
    }
  });

  it('refuses placeholders, conditions and loops the schema does not declare, each with its pointer', () => {
    const body =
      '{{nope}} {{user.phone}} {{#if gone}}{{/if}} {{#each files as f}}{{f.size}}{{/each}} {{#each name as c}}{{/each}}';
    const got = refusal(() => checkTemplate({ body, variablesSchema: schema }));
    expect(got.code).toBe('ASTRA_PROMPT_VARIABLES_INVALID');
    expect(got.issues.map((issue) => issue.path)).toEqual([
      '/nope',
      '/user/phone',
      '/gone',
      '/files/*/size',
      '/name',
    ]);
    expect(got.issues[4]?.message).toMatch(/"type": "array"/);
    expect(got.details).toMatchObject({ path: '/nope', issues: JSON.stringify(got.issues) });
  });

  it('refuses an unusable variables schema', () => {
    const got = refusal(() => checkTemplate({ body: 'x', variablesSchema: { type: 'object', bogus: 1 } }));
    expect(got).toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
      details: { path: 'body.variables_schema' },
    });
  });

  it('refuses variables that break the schema, with JSON Pointers to each', () => {
    const got = refusal(() =>
      render('{{name}}', { count: -1, user: { email: 3 }, files: [{ path: 'a' }, { path: 7 }], stray: true }),
    );
    expect(got.code).toBe('ASTRA_PROMPT_VARIABLES_INVALID');
    expect(got.issues.map((issue) => issue.path).sort()).toEqual(
      ['/count', '/files/1/path', '/name', '/stray', '/user/email'].sort(),
    );
  });
});
