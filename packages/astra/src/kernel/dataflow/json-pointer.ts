import type { JsonValue } from '../tasks/types.js';

/**
 * RFC 6901 JSON Pointers: `""` is the whole document, `/a/0/b` walks object keys and array
 * indexes, `~1` stands for `/` and `~0` for `~` inside a token. An array index is `0` or a number
 * without a leading zero (`-`, "past the end", names no value and never resolves).
 */
export type PointerTokens = readonly string[];

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** The pointer's reference tokens, or null when it is not a valid pointer. */
export function parsePointer(pointer: string): PointerTokens | null {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return null;
  const tokens: string[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    if (/~(?![01])/.test(raw)) return null;
    tokens.push(raw.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return tokens;
}

/** Where evaluation stopped: the value found, or the pointer prefix that names nothing. */
export type PointerOutcome =
  | { readonly found: true; readonly value: JsonValue }
  | { readonly found: false; readonly missingAt: string; readonly reason?: string };

/**
 * Evaluates tokens against a value. `stopAt` is asked about every value passed through before the
 * last token: when it answers a reason, evaluation ends there with that reason (artifact
 * references are passed whole, never walked into).
 */
export function evaluatePointer(
  value: JsonValue,
  tokens: PointerTokens,
  stopAt?: (value: JsonValue) => string | null,
): PointerOutcome {
  let current: JsonValue = value;
  for (const [index, token] of tokens.entries()) {
    const reason = stopAt?.(current) ?? null;
    if (reason !== null) return { found: false, missingAt: formatPointer(tokens.slice(0, index)), reason };
    let next: JsonValue | undefined;
    if (Array.isArray(current)) next = ARRAY_INDEX.test(token) ? current[Number(token)] : undefined;
    else if (typeof current === 'object' && current !== null)
      next = Object.hasOwn(current, token) ? current[token] : undefined;
    if (next === undefined) return { found: false, missingAt: formatPointer(tokens.slice(0, index + 1)) };
    current = next;
  }
  return { found: true, value: current };
}

export function formatPointer(tokens: PointerTokens): string {
  return tokens.map((token) => `/${token.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
