/**
 * The files in a model's answer to code_generate, in the fenced-block format (upstream's):
 *
 *     ```filepath:src/app.py
 *     print("hello")
 *     ```
 *
 * A block's path is found, in order: a `filepath:`, `file:`, `filename:` or `path:` word in its
 * info string (```` ```python filepath:app.py ````); `lang:path` (```` ```python:app.py ````); a
 * word of the info string that looks like a file path (```` ```python app.py ````); the line just
 * before the block (`**app.py**`, `### app.py`, `` `app.py` ``, `File: app.py`); a first-line
 * comment inside it (`# filepath: app.py`). Blocks still without a path take the expected output
 * files not yet written, in order. When no block is named at all, the blocks are written as
 * `generated.<ext>` (`generated_2.<ext>`, …) by their language; when the answer holds no block and
 * one output file is expected, the whole answer is that file.
 *
 * Fences are CommonMark's: three or more backticks or tildes, closed by a run of the same
 * character at least as long (so a four-backtick block may hold a three-backtick one). A block the
 * answer never closes runs to its end.
 */
export interface CodeFile {
  readonly path: string;
  readonly content: string;
}

export interface ParsedFiles {
  readonly files: readonly CodeFile[];
  /** Blocks left without a path (and so not written). */
  readonly unnamedBlocks: number;
}

interface Block {
  readonly info: string;
  readonly before: string;
  readonly lines: readonly string[];
}

const OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const MARKER = /^(?:file ?path|file ?name|file|path)[:=](.+)$/i;
const PATHISH = /^[\w@+\-.]+(?:\/[\w@+\-.]+)*$/;

/** A word that names a file: a relative-looking path with an extension or a directory. */
function looksLikePath(word: string): boolean {
  return PATHISH.test(word) && (word.includes('/') || /\.[A-Za-z0-9]+$/.test(word)) && !/^\.+$/.test(word);
}

function clean(word: string): string {
  return word
    .trim()
    .replace(/^["'`*]+|["'`*:]+$/g, '')
    .replace(/^\.\//, '');
}

function blocksOf(text: string): Block[] {
  const lines = text.split(/\r?\n/);
  const blocks: Block[] = [];
  let before = '';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const open = OPEN.exec(line);
    if (open === null || (open[1]?.startsWith('`') === true && open[2]?.includes('`') === true)) {
      if (line.trim() !== '') before = line;
      continue;
    }
    const fence = open[1] ?? '```';
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const body: string[] = [];
    index++;
    while (index < lines.length && !close.test(lines[index] ?? '')) body.push(lines[index++] ?? '');
    blocks.push({ info: (open[2] ?? '').trim(), before, lines: body });
    before = '';
  }
  return blocks;
}

function pathFromInfo(info: string): string | null {
  const words = info.split(/\s+/).filter((word) => word !== '');
  for (const word of words) {
    const marker = MARKER.exec(word);
    if (marker?.[1] !== undefined) return clean(marker[1]);
  }
  // `filepath: app.py` with a space after the colon.
  const spaced = /(?:^|\s)(?:file ?path|file ?name|file|path)[:=]\s+(\S+)/i.exec(info);
  if (spaced?.[1] !== undefined) return clean(spaced[1]);
  const first = words[0] ?? '';
  const colon = first.indexOf(':');
  if (colon > 0 && looksLikePath(clean(first.slice(colon + 1)))) return clean(first.slice(colon + 1));
  return words.map(clean).find(looksLikePath) ?? null;
}

function pathFromLine(line: string): string | null {
  const stripped = line
    .trim()
    .replace(/^(?:#{1,6}|[-*+]|\d+\.)\s+/, '')
    .replace(/^(?:\*\*|__)?(?:file ?path|file ?name|file|path)\s*[:=]\s*/i, '');
  const words = stripped.split(/\s+/).map(clean);
  return words.length === 1 && looksLikePath(words[0] ?? '') ? (words[0] ?? null) : null;
}

function pathFromFirstLine(lines: readonly string[]): string | null {
  const marker = /^\s*(?:#|\/\/|--|;|\/\*|<!--)\s*(?:file ?path|file ?name|file|path)\s*[:=]\s*(\S+)/i.exec(
    lines[0] ?? '',
  );
  const found = marker?.[1] === undefined ? null : clean(marker[1].replace(/(?:\*\/|-->)$/, ''));
  return found !== null && looksLikePath(found) ? found : null;
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  python: 'py',
  py: 'py',
  javascript: 'js',
  js: 'js',
  typescript: 'ts',
  ts: 'ts',
  tsx: 'tsx',
  jsx: 'jsx',
  go: 'go',
  rust: 'rs',
  java: 'java',
  kotlin: 'kt',
  c: 'c',
  cpp: 'cpp',
  'c++': 'cpp',
  csharp: 'cs',
  ruby: 'rb',
  php: 'php',
  swift: 'swift',
  shell: 'sh',
  bash: 'sh',
  sh: 'sh',
  html: 'html',
  css: 'css',
  json: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  toml: 'toml',
  markdown: 'md',
  md: 'md',
  sql: 'sql',
};

function extensionOf(info: string, language: string | undefined): string {
  const word = (info.split(/\s+/)[0] ?? '').toLowerCase();
  return EXTENSIONS[word] ?? EXTENSIONS[(language ?? '').toLowerCase()] ?? 'txt';
}

const contentOf = (lines: readonly string[]): string => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);

export function parseFencedFiles(
  text: string,
  hints: { readonly expected?: readonly string[]; readonly language?: string } = {},
): ParsedFiles {
  const blocks = blocksOf(text);
  const expected = hints.expected ?? [];
  if (blocks.length === 0)
    return expected.length === 1 && text.trim() !== ''
      ? {
          files: [{ path: expected[0] ?? '', content: text.endsWith('\n') ? text : `${text}\n` }],
          unnamedBlocks: 0,
        }
      : { files: [], unnamedBlocks: 0 };
  const named = blocks.map(
    (block) => pathFromInfo(block.info) ?? pathFromLine(block.before) ?? pathFromFirstLine(block.lines),
  );
  if (named.every((path) => path === null) && expected.length === 0)
    return {
      files: blocks.map((block, index) => ({
        path: `generated${index === 0 ? '' : `_${index + 1}`}.${extensionOf(block.info, hints.language)}`,
        content: contentOf(block.lines),
      })),
      unnamedBlocks: 0,
    };
  const remaining = expected.filter((path) => !named.includes(path));
  const files: CodeFile[] = [];
  let unnamedBlocks = 0;
  for (const [index, block] of blocks.entries()) {
    const path = named[index] ?? remaining.shift() ?? null;
    if (path === null) unnamedBlocks++;
    else files.push({ path, content: contentOf(block.lines) });
  }
  return { files, unnamedBlocks };
}

/** The files of a structured answer (`{"files": [{"path", "content"}]}`), or null when it is not one. */
export function filesOfJson(value: unknown): CodeFile[] | null {
  if (typeof value !== 'object' || value === null) return null;
  const files = (value as { files?: unknown }).files;
  if (!Array.isArray(files)) return null;
  const out: CodeFile[] = [];
  for (const file of files) {
    if (typeof file !== 'object' || file === null) return null;
    const { path, content } = file as { path?: unknown; content?: unknown };
    if (typeof path !== 'string' || typeof content !== 'string') return null;
    out.push({ path: clean(path), content });
  }
  return out;
}

/** The JSON Schema of a structured code_generate answer. */
export const CODE_FILES_SCHEMA: Readonly<Record<string, unknown>> = {
  type: 'object',
  additionalProperties: false,
  required: ['files'],
  properties: {
    files: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'content'],
        properties: {
          path: { type: 'string', description: 'relative to the workspace root, with / separators' },
          content: { type: 'string', description: "the file's whole content" },
        },
      },
    },
  },
};
