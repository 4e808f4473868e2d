import { describe, expect, it } from 'vitest';
import {
  checkCodeGeneratePayload,
  checkLlmPayload,
  checkSummarizePayload,
  filesOfJson,
  parseFencedFiles,
} from '../../src/services/llm-tasks/index.js';

/** code_generate's reading of a model's answer (code-files.ts) and the LLM task types' payload checks. */
const fence = (info: string, body: string, marker = '```') => `${marker}${info}\n${body}\n${marker}`;

describe('fenced file blocks', () => {
  it("reads upstream's filepath: info string, and the other markers in an info string", () => {
    const answer = [
      fence('filepath:src/app.py', 'print(1)'),
      fence('python filepath: lib/util.py', 'x = 1'),
      fence('ts file=web/index.ts', 'export {};'),
      fence('rust:src/main.rs', 'fn main() {}'),
      fence('js scripts/run.js', 'run();'),
    ].join('\n\nSome prose.\n\n');
    expect(parseFencedFiles(answer)).toEqual({
      files: [
        { path: 'src/app.py', content: 'print(1)\n' },
        { path: 'lib/util.py', content: 'x = 1\n' },
        { path: 'web/index.ts', content: 'export {};\n' },
        { path: 'src/main.rs', content: 'fn main() {}\n' },
        { path: 'scripts/run.js', content: 'run();\n' },
      ],
      unnamedBlocks: 0,
    });
  });

  it('falls back to the line before a block, then to a first-line comment inside it', () => {
    const answer = [
      '### `app/__init__.py`',
      fence('python', '"""Package."""'),
      '**config.yaml**',
      fence('yaml', 'a: 1'),
      'File: ./docs/guide.md',
      fence('markdown', '# Guide'),
      'And the script, run it with care:',
      fence('sh', '# filepath: bin/start.sh\necho start'),
    ].join('\n');
    const { files } = parseFencedFiles(answer);
    expect(files.map((file) => file.path)).toEqual([
      'app/__init__.py',
      'config.yaml',
      'docs/guide.md',
      'bin/start.sh',
    ]);
    expect(files[0]?.content).toBe('"""Package."""\n');
    expect(files[3]?.content).toBe('# filepath: bin/start.sh\necho start\n');
  });

  it('gives unnamed blocks the expected files not yet written, and counts those left over', () => {
    const answer = [
      fence('python', 'a'),
      fence('filepath:b.py', 'b'),
      fence('python', 'c'),
      fence('', 'd'),
    ].join('\n');
    expect(parseFencedFiles(answer, { expected: ['a.py', 'b.py', 'c.py'] })).toEqual({
      files: [
        { path: 'a.py', content: 'a\n' },
        { path: 'b.py', content: 'b\n' },
        { path: 'c.py', content: 'c\n' },
      ],
      unnamedBlocks: 1,
    });
  });

  it('names blocks generated.<ext> when none is named, and takes a bare answer as the one expected file', () => {
    const answer = `${fence('python', 'print(1)')}\n${fence('', 'notes')}`;
    expect(parseFencedFiles(answer, { language: 'go' }).files).toEqual([
      { path: 'generated.py', content: 'print(1)\n' },
      { path: 'generated_2.go', content: 'notes\n' },
    ]);
    expect(parseFencedFiles('SELECT 1;', { expected: ['q.sql'] }).files).toEqual([
      { path: 'q.sql', content: 'SELECT 1;\n' },
    ]);
    expect(parseFencedFiles('no code here').files).toEqual([]);
  });

  it('keeps a shorter fence inside a longer one, and reads a block the answer never closed to its end', () => {
    const inner = fence('js', 'x()');
    const answer = `${fence('filepath:README.md', `Usage:\n${inner}`, '````')}\n~~~filepath:tail.txt\nlast line`;
    expect(parseFencedFiles(answer).files).toEqual([
      { path: 'README.md', content: 'Usage:\n```js\nx()\n```\n' },
      { path: 'tail.txt', content: 'last line\n' },
    ]);
  });

  it('passes a marked path through as written, for the workspace to refuse', () => {
    const answer = `${fence('filepath:/etc/passwd', 'x')}\n${fence('filepath:../up.txt', 'y')}`;
    expect(parseFencedFiles(answer).files.map((file) => file.path)).toEqual(['/etc/passwd', '../up.txt']);
    // A path-looking word that is absolute is not taken as a name by the fallbacks.
    expect(parseFencedFiles(`/etc/hosts\n${fence('', 'x')}`).files.map((file) => file.path)).toEqual([
      'generated.txt',
    ]);
  });

  it('reads a structured answer, and refuses one of another shape', () => {
    expect(filesOfJson({ files: [{ path: './a.txt', content: 'a' }] })).toEqual([
      { path: 'a.txt', content: 'a' },
    ]);
    expect(filesOfJson({ files: [{ path: 'a.txt' }] })).toBeNull();
    expect(filesOfJson([])).toBeNull();
  });
});

describe('LLM task payloads', () => {
  it('llm: prompt or messages, and each field in range', () => {
    expect(
      checkLlmPayload({ prompt: 'hi', model: 'fast', temperature: 0, max_tokens: 10, context: false }),
    ).toBeNull();
    expect(
      checkLlmPayload({ messages: [{ role: 'user', content: 'hi' }], schema: { type: 'object' } }),
    ).toBeNull();
    expect(checkLlmPayload({})).toMatchObject({ path: '' });
    expect(checkLlmPayload('hi')).toMatchObject({ path: '' });
    expect(checkLlmPayload({ prompt: 'hi', extra: 1 })).toMatchObject({ path: '.extra' });
    expect(checkLlmPayload({ prompt: '  ' })).toMatchObject({ path: '.prompt' });
    expect(checkLlmPayload({ messages: [{ role: 'tool', content: 'x' }] })).toMatchObject({
      path: '.messages[0].role',
    });
    expect(checkLlmPayload({ messages: [{ role: 'user', content: 1 }] })).toMatchObject({
      path: '.messages[0].content',
    });
    expect(checkLlmPayload({ prompt: 'hi', max_tokens: 1.5 })).toMatchObject({ path: '.max_tokens' });
    expect(checkLlmPayload({ prompt: 'hi', schema: [] })).toMatchObject({ path: '.schema' });
    expect(checkLlmPayload({ prompt: 'hi', model: '' })).toMatchObject({ path: '.model' });
  });

  it('code_generate: instructions required, output paths relative', () => {
    expect(
      checkCodeGeneratePayload({ instructions: 'x', output_files: ['a/b.py'], format: 'fenced' }),
    ).toBeNull();
    expect(checkCodeGeneratePayload({ language: 'go' })).toMatchObject({ path: '.instructions' });
    expect(checkCodeGeneratePayload({ instructions: 'x', output_files: ['a/../../b'] })).toMatchObject({
      path: '.output_files[0]',
      reason: 'has a .. segment',
    });
    expect(checkCodeGeneratePayload({ instructions: 'x', format: 'xml' })).toMatchObject({ path: '.format' });
  });

  it('summarize: text or from, one of them', () => {
    expect(checkSummarizePayload({ text: 'x', max_words: 50, style: 'headline' })).toBeNull();
    expect(checkSummarizePayload({ from: { any: ['value'] } })).toBeNull();
    expect(checkSummarizePayload({ text: 'x', from: 'y' })).toMatchObject({ path: '.from' });
    expect(checkSummarizePayload({ text: 'x', max_words: 0 })).toMatchObject({ path: '.max_words' });
  });
});
