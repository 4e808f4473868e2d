import { createHash } from 'node:crypto';
import type { JsonValue, PayloadIssue, TaskHandler } from '../../kernel/index.js';
import type { LlmResult } from '../../ports/llm.js';
import { callArtifacts, ToolCallError, workspacePathProblem } from '../tools/index.js';
import { CODE_FILES_SCHEMA, type CodeFile, filesOfJson, parseFencedFiles } from './code-files.js';
import { LlmTaskError } from './llm-task-error.js';
import { attribution, callModel, systemMessages } from './model-call.js';
import { type LlmTaskOptions, limitsOf, MAX_OUTPUT_TOKENS, MAX_PROMPT_CHARS } from './options.js';
import { choice, fieldsOf, firstIssue, flag, model, number, text } from './payload-fields.js';

/**
 * The `code_generate` task type: asks a model for files and writes them into the goal's workspace.
 *
 * Payload: `instructions`, and optionally `language`, `output_files` (the paths expected, a hint
 * to the model and the names of unnamed blocks), `model`, `max_tokens` (default 8192),
 * `temperature`, `format` (`auto`: structured output `{"files": [{"path", "content"}]}`, or the
 * fenced-block format (code-files.ts) when no model can answer under a schema; `json`; `fenced`),
 * `context` (false: without the agent's assembled context).
 *
 * Every path is checked before anything is written (relative, no `..`, no NUL or backslash: an
 * ASTRA_TOOL_PATH_INVALID naming it, and no file written); the workspace's own checks then refuse
 * a path that leads out through a link. An answer cut at max_tokens, or holding no file, is
 * ASTRA_LLM_OUTPUT_INVALID. With an artifact store, the files are also kept as one JSON bundle.
 *
 * Result (upstream's fields, then the attribution of model-call.ts): `files_written`,
 * `generated_files` (`[{path, bytes, sha256}]`, with `content` when all of them fit in
 * codeInlineBytes), `llm_model`, `tokens_in`, `tokens_out`, `artifact_uri` (with a store),
 * `format`, `missing_files` (expected files not written), `unnamed_blocks`.
 */
const SHAPE =
  '{"instructions": "…", "language", "output_files": ["…"], "model", "max_tokens", "temperature", "format", "context"}';
const FIELDS = [
  'instructions',
  'language',
  'output_files',
  'model',
  'max_tokens',
  'temperature',
  'format',
  'context',
];
const FORMATS = ['auto', 'json', 'fenced'] as const;
const MAX_OUTPUT_FILES = 256;

function outputFilesIssue(value: JsonValue | undefined): PayloadIssue | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length > MAX_OUTPUT_FILES)
    return { path: '.output_files', reason: `is an array of at most ${MAX_OUTPUT_FILES} paths` };
  for (const [index, path] of value.entries()) {
    const problem =
      typeof path !== 'string' || path === '' || path.length > 1024
        ? 'is a path of 1 to 1024 characters'
        : workspacePathProblem(path);
    if (problem !== null) return { path: `.output_files[${index}]`, reason: problem };
  }
  return null;
}

export function checkCodeGeneratePayload(payload: JsonValue): PayloadIssue | null {
  const { fields, issue } = fieldsOf(payload, SHAPE, FIELDS);
  if (fields === null) return issue;
  return firstIssue(
    fields.instructions === undefined ? { path: '.instructions', reason: 'is required' } : null,
    text(fields, 'instructions', { maxChars: MAX_PROMPT_CHARS, nonEmpty: true }),
    text(fields, 'language', { maxChars: 64, nonEmpty: true }),
    outputFilesIssue(fields.output_files),
    model(fields),
    number(fields, 'max_tokens', { min: 1, max: MAX_OUTPUT_TOKENS, integer: true }),
    number(fields, 'temperature', { min: 0, max: 2, integer: false }),
    choice(fields, 'format', FORMATS),
    flag(fields, 'context'),
  );
}

interface CodeGeneratePayload {
  readonly instructions: string;
  readonly language?: string;
  readonly output_files?: readonly string[];
  readonly model?: string;
  readonly max_tokens?: number;
  readonly temperature?: number;
  readonly format?: (typeof FORMATS)[number];
  readonly context?: boolean;
}

const JSON_RULES =
  'You write code files. Answer with every file whole, as JSON {"files": [{"path", "content"}]}; paths are relative to the project root, with / separators.';
const FENCED_RULES = [
  'You write code files. Write every file whole, each in its own fenced block whose info string names it:',
  '```filepath:src/example.py',
  'print("example")',
  '```',
  'Paths are relative to the project root, with / separators. Write nothing but the blocks.',
].join('\n');

function request(payload: CodeGeneratePayload): string {
  return [
    payload.instructions,
    payload.language === undefined ? '' : `Language: ${payload.language}.`,
    payload.output_files === undefined || payload.output_files.length === 0
      ? ''
      : `Files to write: ${payload.output_files.join(', ')}.`,
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

const sha256 = (content: string): string => createHash('sha256').update(content).digest('hex');

export function codeGenerateHandler(options: LlmTaskOptions): TaskHandler {
  const limits = limitsOf(options);
  return async ({ task, signal }) => {
    const payload = task.payload as unknown as CodeGeneratePayload;
    const withContext = payload.context !== false;
    const ask = async (format: 'json' | 'fenced'): Promise<LlmResult> =>
      callModel(
        options,
        { task, signal },
        {
          messages: [
            ...(await systemMessages(
              options,
              task,
              [format === 'json' ? JSON_RULES : FENCED_RULES],
              withContext,
            )),
            { role: 'user', content: request(payload) },
          ],
          maxOutputTokens: payload.max_tokens ?? limits.codeMaxOutputTokens,
          ...(payload.model === undefined ? {} : { model: payload.model }),
          ...(payload.temperature === undefined ? {} : { temperature: payload.temperature }),
          ...(format === 'json'
            ? { responseFormat: { type: 'json_schema', name: 'code_files', schema: CODE_FILES_SCHEMA } }
            : {}),
        },
      );
    let format: 'json' | 'fenced' = payload.format === 'fenced' ? 'fenced' : 'json';
    let result: LlmResult;
    try {
      result = await ask(format);
    } catch (error) {
      // No model here answers under a schema: ask for fenced blocks instead.
      const incapable =
        error instanceof LlmTaskError &&
        error.code === 'ASTRA_LLM_NO_CAPABLE_MODEL' &&
        String(error.details.needs ?? '').includes('json_schema');
      if (!incapable || (payload.format !== undefined && payload.format !== 'auto')) throw error;
      format = 'fenced';
      result = await ask(format);
    }
    const invalid = (message: string, details: Record<string, unknown> = {}): LlmTaskError =>
      new LlmTaskError(
        'ASTRA_LLM_OUTPUT_INVALID',
        `${result.model}: ${message}`,
        { model: result.model, ...details },
        {
          retryable: true,
        },
      );
    if (result.finishReason === 'length')
      throw invalid('the answer was cut at max_tokens before its files were complete: raise max_tokens', {
        max_tokens: payload.max_tokens ?? limits.codeMaxOutputTokens,
      });
    const parsed =
      format === 'json'
        ? { files: filesOfJson(result.json), unnamedBlocks: 0 }
        : parseFencedFiles(result.text, {
            ...(payload.output_files === undefined ? {} : { expected: payload.output_files }),
            ...(payload.language === undefined ? {} : { language: payload.language }),
          });
    if (parsed.files === null) throw invalid('the structured answer is not {"files": [{"path", "content"}]}');
    // A path written twice keeps its last content.
    const files = [...new Map(parsed.files.map((file): [string, CodeFile] => [file.path, file])).values()];
    if (files.length === 0) throw invalid('the answer holds no file', { format });
    if (files.length > limits.codeMaxFiles)
      throw invalid(`the answer holds ${files.length} files, more than ${limits.codeMaxFiles}`);
    const workspace = await options.workspaces.of(task.goalId);
    // Every path is checked before any file is written.
    for (const file of files) {
      if (file.path === '' || file.path.endsWith('/'))
        throw new ToolCallError(
          'ASTRA_TOOL_PATH_INVALID',
          `path ${JSON.stringify(file.path)} names no file`,
          {
            path: file.path,
          },
        );
      workspace.resolve(file.path);
    }
    const written = [];
    for (const file of files) {
      const { bytes } = await workspace.write(file.path, file.content);
      written.push({ path: file.path, bytes, sha256: sha256(file.content), content: file.content });
    }
    const total = written.reduce((sum, file) => sum + file.bytes, 0);
    const inline = total <= limits.codeInlineBytes;
    const bundle = await storeBundle(options, task, files);
    const usage = attribution(result);
    const missing = (payload.output_files ?? []).filter((path) => !files.some((file) => file.path === path));
    return {
      files_written: written.length,
      generated_files: written.map(({ content, ...file }) => (inline ? { ...file, content } : file)),
      llm_model: result.model,
      tokens_in: usage.usage.tokens_in,
      tokens_out: usage.usage.tokens_out,
      ...bundle,
      format,
      ...(missing.length === 0 ? {} : { missing_files: missing }),
      ...(parsed.unnamedBlocks === 0 ? {} : { unnamed_blocks: parsed.unnamedBlocks }),
      ...usage,
    };
  };
}

/**
 * The files as one JSON artifact (`{"files": [{"path", "content"}]}`), when the node has a store.
 * The files are in the workspace already: a store that fails is noted in the result, not a
 * failure of the task (a retry would ask the model again).
 */
async function storeBundle(
  options: LlmTaskOptions,
  task: { readonly id: string; readonly goalId: string; readonly agentId: string },
  files: readonly CodeFile[],
): Promise<{ artifact_uri?: string; artifact_error?: string }> {
  if (options.artifacts === undefined) return {};
  const { storeArtifact } = callArtifacts(
    options.artifacts,
    { taskId: task.id, goalId: task.goalId, agentId: task.agentId },
    'code_generate',
  );
  try {
    const ref = await storeArtifact(JSON.stringify({ files }), { mediaType: 'application/json' });
    return { artifact_uri: ref.$artifact };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { artifact_error: typeof code === 'string' ? code : 'ASTRA_ARTIFACTS_UNAVAILABLE' };
  }
}
