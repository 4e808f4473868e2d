/**
 * A parser for the PromQL the alert rules use (docs/metrics.md, "Alert expressions in tests"):
 * numbers, instant and range selectors with `=`, `!=`, `=~`, `!~` matchers and `offset`; the
 * functions rate, increase, histogram_quantile and clamp_min; sum, max, min, avg and count with
 * `by (…)`; unary minus; `^ * / % + -`, the comparisons and `and`, with Prometheus's precedence.
 * Anything else (`or`, `unless`, `on`, `ignoring`, `group_left`, `without`, `bool`, subqueries,
 * other functions) is refused with an error naming it, so an expression outside the subset fails
 * a test instead of being read wrong.
 */
export type Matcher = {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
};

export type Expr =
  | { readonly kind: 'number'; readonly value: number }
  | {
      readonly kind: 'selector';
      readonly matchers: readonly Matcher[];
      /** Set for a range selector `x[5m]`. */
      readonly rangeMs: number | undefined;
      readonly offsetMs: number;
    }
  | { readonly kind: 'call'; readonly fn: FunctionName; readonly args: readonly Expr[] }
  | {
      readonly kind: 'aggregate';
      readonly op: AggregateOp;
      readonly by: readonly string[] | undefined;
      readonly expr: Expr;
    }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'negate'; readonly expr: Expr };

export const FUNCTIONS = ['rate', 'increase', 'histogram_quantile', 'clamp_min'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];
export const AGGREGATES = ['sum', 'max', 'min', 'avg', 'count'] as const;
export type AggregateOp = (typeof AGGREGATES)[number];
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type BinaryOp = ArithmeticOp | ComparisonOp | 'and';

type Token =
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'duration'; readonly ms: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'ident'; readonly value: string }
  | { readonly type: 'punct'; readonly value: string };

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};
const DURATION_RE = /^(?:\d+(?:ms|[smhdwy]))+/;
const NUMBER_RE = /^(?:0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i;
const IDENT_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const PUNCT = [
  '==',
  '!=',
  '>=',
  '<=',
  '=~',
  '!~',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ',',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '>',
  '<',
];

/** Milliseconds of a PromQL duration such as `5m`, `1d` or `1h30m`. */
export function durationMs(text: string): number {
  if (DURATION_RE.exec(text)?.[0] !== text) throw new Error(`not a duration: ${text}`);
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|[smhdwy])/g))
    ms += Number(n) * (UNIT_MS[unit as string] as number);
  return ms;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let rest = source.trimStart();
  for (; rest.length > 0; rest = rest.trimStart()) {
    const duration = DURATION_RE.exec(rest);
    // A duration only where one may stand: inside `[…]` or after `offset`.
    const previous = tokens.at(-1);
    const durationPlace =
      (previous?.type === 'punct' && previous.value === '[') ||
      (previous?.type === 'ident' && previous.value === 'offset');
    if (duration !== null && durationPlace) {
      tokens.push({ type: 'duration', ms: durationMs(duration[0]) });
      rest = rest.slice(duration[0].length);
      continue;
    }
    const number = NUMBER_RE.exec(rest);
    if (number !== null) {
      tokens.push({ type: 'number', value: Number(number[0]) });
      rest = rest.slice(number[0].length);
      continue;
    }
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const quote = rest[0] as string;
      let end = 1;
      let value = '';
      while (end < rest.length && rest[end] !== quote) {
        if (rest[end] === '\\') end++;
        value += rest[end] ?? '';
        end++;
      }
      if (end >= rest.length) throw new Error(`unterminated string in: ${source}`);
      tokens.push({ type: 'string', value });
      rest = rest.slice(end + 1);
      continue;
    }
    const ident = IDENT_RE.exec(rest);
    if (ident !== null) {
      tokens.push({ type: 'ident', value: ident[0] });
      rest = rest.slice(ident[0].length);
      continue;
    }
    const punct = PUNCT.find((p) => rest.startsWith(p));
    if (punct === undefined) throw new Error(`unexpected "${rest[0]}" in: ${source}`);
    tokens.push({ type: 'punct', value: punct });
    rest = rest.slice(punct.length);
  }
  return tokens;
}

const UNSUPPORTED_WORDS = new Set([
  'or',
  'unless',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'without',
  'bool',
]);

/** Binary operators from the loosest to the tightest binding (Prometheus's order). */
const LEVELS: readonly (readonly BinaryOp[])[] = [
  ['and'],
  ['==', '!=', '>', '<', '>=', '<='],
  ['+', '-'],
  ['*', '/', '%'],
];

class Parser {
  #at = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly source: string,
  ) {}

  parse(): Expr {
    const expr = this.#binary(0);
    if (this.#at < this.tokens.length) this.#fail(`unexpected ${this.#describe(this.tokens[this.#at])}`);
    return expr;
  }

  #binary(level: number): Expr {
    if (level === LEVELS.length) return this.#power();
    let left = this.#binary(level + 1);
    for (;;) {
      const op = this.#operator(LEVELS[level] as readonly BinaryOp[]);
      if (op === undefined) return left;
      const right = this.#binary(level + 1);
      left = { kind: 'binary', op, left, right };
    }
  }

  /** `^` binds tighter than `*` and to the right; unary minus binds looser than `^` (-2^2 = -4). */
  #power(): Expr {
    if (this.#takePunct('-')) return { kind: 'negate', expr: this.#power() };
    if (this.#takePunct('+')) return this.#power();
    const base = this.#postfix(this.#atom());
    if (this.#takePunct('^')) return { kind: 'binary', op: '^', left: base, right: this.#power() };
    return base;
  }

  #operator(ops: readonly BinaryOp[]): BinaryOp | undefined {
    const token = this.tokens[this.#at];
    if (token === undefined) return undefined;
    const text = token.type === 'punct' || token.type === 'ident' ? token.value : undefined;
    if (text !== undefined && UNSUPPORTED_WORDS.has(text)) this.#fail(`"${text}" is not supported`);
    const op = ops.find((candidate) => candidate === text);
    if (op !== undefined) this.#at++;
    return op;
  }

  #atom(): Expr {
    const token = this.tokens[this.#at++];
    if (token === undefined) return this.#fail('unexpected end');
    if (token.type === 'number') return { kind: 'number', value: token.value };
    if (token.type === 'punct' && token.value === '(') {
      const inner = this.#binary(0);
      this.#expectPunct(')');
      return inner;
    }
    if (token.type === 'punct' && token.value === '{') return this.#selector([]);
    if (token.type !== 'ident') return this.#fail(`unexpected ${this.#describe(token)}`);
    const name = token.value;
    if (name === 'Inf' || name === 'inf') return { kind: 'number', value: Number.POSITIVE_INFINITY };
    if (name === 'NaN' || name === 'nan') return { kind: 'number', value: Number.NaN };
    if (UNSUPPORTED_WORDS.has(name)) return this.#fail(`"${name}" is not supported`);
    if ((AGGREGATES as readonly string[]).includes(name)) return this.#aggregate(name as AggregateOp);
    if (this.#peekPunct('(')) {
      if (!(FUNCTIONS as readonly string[]).includes(name))
        return this.#fail(`function ${name}() is not supported`);
      this.#at++;
      return { kind: 'call', fn: name as FunctionName, args: this.#arguments() };
    }
    const nameMatcher: Matcher = { label: '__name__', op: '=', value: name };
    if (this.#takePunct('{')) return this.#selector([nameMatcher]);
    return { kind: 'selector', matchers: [nameMatcher], rangeMs: undefined, offsetMs: 0 };
  }

  /** After `sum`: `by (…)` before or after the parenthesized argument. */
  #aggregate(op: AggregateOp): Expr {
    let by = this.#grouping();
    this.#expectPunct('(');
    const args = this.#arguments();
    if (args.length !== 1) this.#fail(`${op}() takes one argument`);
    by ??= this.#grouping();
    return { kind: 'aggregate', op, by, expr: args[0] as Expr };
  }

  #grouping(): string[] | undefined {
    const token = this.tokens[this.#at];
    if (token?.type !== 'ident') return undefined;
    if (token.value === 'without') this.#fail('"without" is not supported');
    if (token.value !== 'by') return undefined;
    this.#at++;
    this.#expectPunct('(');
    const labels: string[] = [];
    while (!this.#takePunct(')')) {
      const label = this.tokens[this.#at++];
      if (label?.type !== 'ident') return this.#fail('a label name in by (…)');
      labels.push(label.value);
      if (!this.#peekPunct(')')) this.#expectPunct(',');
    }
    return labels;
  }

  /** The arguments after an opening `(`, through the closing `)`. */
  #arguments(): Expr[] {
    const args: Expr[] = [];
    while (!this.#takePunct(')')) {
      args.push(this.#binary(0));
      if (!this.#peekPunct(')')) this.#expectPunct(',');
    }
    return args;
  }

  /** After `{`: matchers, then the selector's postfixes are read by #postfix. */
  #selector(matchers: Matcher[]): Expr {
    while (!this.#takePunct('}')) {
      const label = this.tokens[this.#at++];
      const op = this.tokens[this.#at++];
      const value = this.tokens[this.#at++];
      if (label?.type !== 'ident' || op?.type !== 'punct' || value?.type !== 'string')
        return this.#fail('a matcher label="value"');
      if (!['=', '!=', '=~', '!~'].includes(op.value)) return this.#fail(`matcher operator ${op.value}`);
      matchers.push({ label: label.value, op: op.value as Matcher['op'], value: value.value });
      if (!this.#peekPunct('}')) this.#expectPunct(',');
    }
    if (!matchers.some((m) => m.label === '__name__' && m.op === '='))
      this.#fail('a selector without a metric name is not supported');
    return { kind: 'selector', matchers, rangeMs: undefined, offsetMs: 0 };
  }

  /** `[range]` and `offset d` after a selector; a range after anything else is a subquery. */
  #postfix(expr: Expr): Expr {
    let result = expr;
    for (;;) {
      if (this.#takePunct('[')) {
        const duration = this.tokens[this.#at++];
        if (duration?.type !== 'duration') return this.#fail('a duration in […]');
        this.#expectPunct(']');
        if (result.kind !== 'selector' || result.rangeMs !== undefined || result.offsetMs !== 0)
          return this.#fail('a range applies to an instant selector only (subqueries are not supported)');
        result = { ...result, rangeMs: duration.ms };
        continue;
      }
      const token = this.tokens[this.#at];
      if (token?.type === 'ident' && token.value === 'offset') {
        this.#at++;
        const duration = this.tokens[this.#at++];
        if (duration?.type !== 'duration') return this.#fail('a duration after offset');
        if (result.kind !== 'selector') return this.#fail('offset applies to a selector only');
        result = { ...result, offsetMs: duration.ms };
        continue;
      }
      return result;
    }
  }

  #peekPunct(value: string): boolean {
    const token = this.tokens[this.#at];
    return token?.type === 'punct' && token.value === value;
  }

  #takePunct(value: string): boolean {
    if (!this.#peekPunct(value)) return false;
    this.#at++;
    return true;
  }

  #expectPunct(value: string): void {
    if (!this.#takePunct(value))
      this.#fail(`expected "${value}", found ${this.#describe(this.tokens[this.#at])}`);
  }

  #describe(token: Token | undefined): string {
    if (token === undefined) return 'the end';
    if (token.type === 'duration') return `duration ${token.ms} ms`;
    return `"${token.value}"`;
  }

  #fail(message: string): never {
    throw new Error(`PromQL: ${message} in: ${this.source}`);
  }
}

export function parsePromql(source: string): Expr {
  return new Parser(tokenize(source), source).parse();
}
