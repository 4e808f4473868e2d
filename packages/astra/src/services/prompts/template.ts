import { AstraError } from '../../errors/index.js';
import type { SchemaIssue } from '../tools/index.js';

/**
 * The prompt template syntax (docs/prompts.md), parsed once into a tree and rendered in one pass:
 *
 * - `{{name}}`, `{{obj.field}}`: the variable's value. Strings as they are, numbers and booleans as
 *   text, objects and arrays as compact JSON, null and absent values as nothing. Spaces inside the
 *   braces are ignored. Names are letters, digits and `_`, not starting with a digit.
 * - `{{#if path}}…{{else}}…{{/if}}`: the first part when the value is truthy (not absent, null,
 *   false, 0, "" or an empty array), else the optional second part.
 * - `{{#each path as item}}…{{/each}}`: the part once per element of the array, with `item` naming
 *   the element (`{{item}}`, `{{item.field}}`); an absent array renders nothing.
 * - `\{{` is a literal `{{`; it is the only escape. Any other text, `}}` and single braces
 *   included, is literal.
 * - A block tag (`#if`, `else`, `/if`, `#each`, `/each`) alone on its line takes the whole line
 *   with it, so blocks can sit on lines of their own without leaving blank lines.
 *
 * Rendering is one pass: a value that contains `{{` is inserted as text, never read as a template.
 */
export type TemplateNode =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly path: readonly string[]; readonly line: number }
  | {
      readonly kind: 'if';
      readonly path: readonly string[];
      readonly line: number;
      readonly whenTrue: readonly TemplateNode[];
      readonly otherwise: readonly TemplateNode[];
    }
  | {
      readonly kind: 'each';
      readonly path: readonly string[];
      readonly line: number;
      readonly as: string;
      readonly body: readonly TemplateNode[];
    };

export interface ParsedTemplate {
  readonly nodes: readonly TemplateNode[];
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const PATH = `${NAME}(?:\\.${NAME})*`;
const VALUE_TAG = new RegExp(`^(${PATH})$`);
const IF_TAG = new RegExp(`^#if\\s+(${PATH})$`);
const EACH_TAG = new RegExp(`^#each\\s+(${PATH})\\s+as\\s+(${NAME})$`);

type Tag =
  | { readonly kind: 'value' | 'if'; readonly path: string[] }
  | { readonly kind: 'each'; readonly path: string[]; readonly as: string }
  | { readonly kind: 'else' | 'endif' | 'endeach' };

type Token =
  | { readonly kind: 'text'; text: string }
  | { readonly kind: 'tag'; readonly tag: Tag; readonly line: number };

/** A template that cannot be parsed: ASTRA_VALIDATION_FAILED on `body.body` with the line. */
function syntaxError(line: number, reason: string): AstraError {
  return new AstraError('ASTRA_VALIDATION_FAILED', `body.body: line ${line}: ${reason}`, {
    details: { path: 'body.body', reason: `line ${line}: ${reason}` },
  });
}

function tagOf(inner: string, line: number): Tag {
  const text = inner.trim();
  if (text === 'else') return { kind: 'else' };
  if (text === '/if') return { kind: 'endif' };
  if (text === '/each') return { kind: 'endeach' };
  const value = VALUE_TAG.exec(text);
  if (value !== null) return { kind: 'value', path: (value[1] as string).split('.') };
  const condition = IF_TAG.exec(text);
  if (condition !== null) return { kind: 'if', path: (condition[1] as string).split('.') };
  const loop = EACH_TAG.exec(text);
  if (loop !== null) return { kind: 'each', path: (loop[1] as string).split('.'), as: loop[2] as string };
  throw syntaxError(line, `{{${inner}}} is not a placeholder, #if, else, /if, #each … as …, or /each`);
}

function tokenize(body: string): Token[] {
  const tokens: Token[] = [];
  let text = '';
  let line = 1;
  let at = 0;
  while (at < body.length) {
    const open = body.indexOf('{{', at);
    if (open === -1) {
      text += body.slice(at);
      break;
    }
    const before = body.slice(at, open);
    line += countLines(before);
    if (before.endsWith('\\')) {
      text += `${before.slice(0, -1)}{{`;
      at = open + 2;
      continue;
    }
    const close = body.indexOf('}}', open + 2);
    if (close === -1) throw syntaxError(line, '{{ is never closed (write \\{{ for a literal {{)');
    const inner = body.slice(open + 2, close);
    if (inner.includes('\n')) throw syntaxError(line, 'a tag may not span lines');
    tokens.push({ kind: 'text', text: text + before }, { kind: 'tag', tag: tagOf(inner, line), line });
    text = '';
    at = close + 2;
  }
  tokens.push({ kind: 'text', text });
  return tokens;
}

const countLines = (text: string): number => text.split('\n').length - 1;
const isBlock = (token: Token | undefined): boolean => token?.kind === 'tag' && token.tag.kind !== 'value';

/**
 * Removes the line of every block tag that stands alone on it (the tokens alternate text, tag,
 * text…). Decided on the texts as written, then cut, so two such lines in a row both go.
 */
function standalone(tokens: Token[]): void {
  const texts = tokens.map((token) => (token.kind === 'text' ? token.text : ''));
  const keepFrom = texts.map(() => 0);
  const keepTo = texts.map((text) => text.length);
  for (let i = 1; i < tokens.length - 1; i += 2) {
    if (!isBlock(tokens[i])) continue;
    const before = texts[i - 1] as string;
    const after = texts[i + 1] as string;
    const lineStart = before.lastIndexOf('\n');
    const lineEnd = after.indexOf('\n');
    const startsLine = lineStart !== -1 || i === 1;
    const endsLine = lineEnd !== -1 || i === tokens.length - 2;
    const lead = before.slice(lineStart + 1);
    const trail = lineEnd === -1 ? after : after.slice(0, lineEnd);
    if (!startsLine || !endsLine || lead.trim() !== '' || trail.trim() !== '') continue;
    keepTo[i - 1] = lineStart + 1;
    keepFrom[i + 1] = lineEnd === -1 ? after.length : lineEnd + 1;
  }
  tokens.forEach((token, i) => {
    if (token.kind === 'text')
      token.text = token.text.slice(keepFrom[i], Math.max(keepFrom[i] as number, keepTo[i] as number));
  });
}

/** Parses a template; ASTRA_VALIDATION_FAILED (`body.body`, with the line) when it is malformed. */
export function parseTemplate(body: string): ParsedTemplate {
  const tokens = tokenize(body);
  standalone(tokens);
  let at = 0;
  const block = (
    closer: 'endif' | 'endeach' | null,
    opened: number,
  ): { nodes: TemplateNode[]; else?: TemplateNode[] } => {
    const nodes: TemplateNode[] = [];
    let otherwise: TemplateNode[] | undefined;
    let into = nodes;
    while (at < tokens.length) {
      const token = tokens[at++] as Token;
      if (token.kind === 'text') {
        if (token.text !== '') into.push({ kind: 'text', text: token.text });
        continue;
      }
      const { tag, line } = token;
      switch (tag.kind) {
        case 'value':
          into.push({ kind: 'value', path: tag.path, line });
          break;
        case 'if': {
          const inner = block('endif', line);
          into.push({ kind: 'if', path: tag.path, line, whenTrue: inner.nodes, otherwise: inner.else ?? [] });
          break;
        }
        case 'each':
          into.push({ kind: 'each', path: tag.path, as: tag.as, line, body: block('endeach', line).nodes });
          break;
        case 'else':
          if (closer !== 'endif' || otherwise !== undefined)
            throw syntaxError(line, '{{else}} outside an {{#if}}');
          otherwise = [];
          into = otherwise;
          break;
        case 'endif':
        case 'endeach':
          if (tag.kind !== closer)
            throw syntaxError(line, `{{/${tag.kind === 'endif' ? 'if' : 'each'}}} closes nothing open`);
          return otherwise === undefined ? { nodes } : { nodes, else: otherwise };
      }
    }
    if (closer !== null)
      throw syntaxError(opened, `{{#${closer === 'endif' ? 'if' : 'each'}}} is never closed`);
    return { nodes };
  };
  return { nodes: block(null, 1).nodes };
}

// ---- What the template uses, against the variables schema ----

type Schema = Record<string, unknown>;
const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const escapeToken = (token: string): string => token.replaceAll('~', '~0').replaceAll('/', '~1');

interface Binding {
  readonly schema: Schema | null;
  /** The JSON Pointer of the element, with `*` for a loop's position. */
  readonly pointer: string;
}

/**
 * Every placeholder, condition and loop of the template whose variable `variables_schema` does not
 * declare (through `properties`, and `items` for loops), as issues with the JSON Pointer of the
 * variable (a loop's element is written `*`). A loop's variable must be declared `type: "array"`.
 */
export function undeclaredIn(template: ParsedTemplate, variablesSchema: Schema): SchemaIssue[] {
  const issues = new Map<string, SchemaIssue>();
  const resolve = (path: readonly string[], scope: ReadonlyMap<string, Binding>, line: number) => {
    const [head, ...rest] = path as [string, ...string[]];
    const bound = scope.get(head);
    let schema: Schema | null = bound === undefined ? variablesSchema : bound.schema;
    let pointer = bound === undefined ? '' : bound.pointer;
    for (const segment of bound === undefined ? path : rest) {
      pointer += `/${escapeToken(segment)}`;
      const properties = schema?.properties;
      const next = isObject(properties) ? properties[segment] : undefined;
      if (!isObject(next)) {
        if (!issues.has(pointer))
          issues.set(pointer, {
            path: pointer,
            message: `is used by the template (line ${line}) but variables_schema does not declare it`,
          });
        return null;
      }
      schema = next;
    }
    return { schema, pointer };
  };
  const visit = (nodes: readonly TemplateNode[], scope: ReadonlyMap<string, Binding>): void => {
    for (const node of nodes) {
      if (node.kind === 'text') continue;
      const found = resolve(node.path, scope, node.line);
      if (node.kind === 'if') {
        visit(node.whenTrue, scope);
        visit(node.otherwise, scope);
      } else if (node.kind === 'each') {
        if (found !== null && found.schema?.type !== 'array')
          issues.set(found.pointer, {
            path: found.pointer,
            message: `is looped over by the template (line ${node.line}) but variables_schema does not declare it "type": "array"`,
          });
        const items = found?.schema?.items;
        const inner = new Map(scope);
        inner.set(node.as, { schema: isObject(items) ? items : null, pointer: `${found?.pointer ?? ''}/*` });
        visit(node.body, inner);
      }
    }
  };
  visit(template.nodes, new Map());
  return [...issues.values()];
}

// ---- Rendering ----

const truthy = (value: unknown): boolean =>
  !(
    value === undefined ||
    value === null ||
    value === false ||
    value === 0 ||
    value === '' ||
    (Array.isArray(value) && value.length === 0)
  );

function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Renders a parsed template with variables already checked against its schema. */
export function renderTemplate(template: ParsedTemplate, variables: Record<string, unknown>): string {
  const parts: string[] = [];
  const lookup = (path: readonly string[], scope: ReadonlyMap<string, unknown>): unknown => {
    const [head, ...rest] = path as [string, ...string[]];
    let value: unknown = scope.has(head) ? scope.get(head) : variables[head];
    for (const segment of rest)
      value = isObject(value) && Object.hasOwn(value, segment) ? value[segment] : undefined;
    if (!scope.has(head) && !Object.hasOwn(variables, head)) return undefined;
    return value;
  };
  const visit = (nodes: readonly TemplateNode[], scope: ReadonlyMap<string, unknown>): void => {
    for (const node of nodes) {
      if (node.kind === 'text') parts.push(node.text);
      else if (node.kind === 'value') parts.push(textOf(lookup(node.path, scope)));
      else if (node.kind === 'if')
        visit(truthy(lookup(node.path, scope)) ? node.whenTrue : node.otherwise, scope);
      else {
        const items = lookup(node.path, scope);
        if (!Array.isArray(items)) continue;
        for (const item of items) visit(node.body, new Map(scope).set(node.as, item));
      }
    }
  };
  visit(template.nodes, new Map());
  return parts.join('');
}
