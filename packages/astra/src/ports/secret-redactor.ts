import { AstraError, type ErrorDetails, isAstraError } from '../errors/index.js';

/**
 * The redactor of one tool run: built from the secrets the run received (the files mounted for
 * it, the headers its egress grant injects), it removes their values from everything the run
 * hands back — results, logs, events, errors — before any of it is stored or shown.
 *
 * A value is found as written and in the encodings a tool most often applies on the way out:
 * - JSON string escaping (a value with quotes, backslashes or control characters inside JSON text);
 * - URL encoding (`encodeURIComponent`, with `+` for spaces as forms write it, hex in either case);
 * - base64 and base64url, at each of the three byte alignments it can have inside a longer
 *   encoded string (so `Basic base64("user:" + secret)` loses the part that is the secret), with
 *   or without padding. Only the characters that depend on the secret's bytes alone are matched,
 *   and only when there are at least 8 of them: shorter fragments match unrelated text by chance.
 * Each match becomes `[redacted:<name>]`. Longer forms are matched first. Other transformations
 * (hashing, splitting, reversing, hex) are not caught: a tool determined to leak can; the redactor
 * keeps the usual paths clean.
 */
export interface RedactableSecret {
  readonly name: string;
  readonly value: string;
}

export type Redactable =
  | string
  | number
  | boolean
  | null
  | readonly Redactable[]
  | { readonly [key: string]: Redactable };

export interface SecretRedactor {
  redact(text: string): string;
  /** A copy with every string (keys included) redacted; a number whose digits hold a secret becomes a redacted string. */
  redactJson<T extends Redactable>(value: T): T;
  /** An AstraError with the same code, its message and details redacted, without cause or stack. */
  redactError(error: unknown): AstraError;
}

const MIN_BASE64_FRAGMENT = 8;

function base64Fragments(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let pad = 0; pad < 3; pad += 1) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const from = Math.ceil((8 * pad) / 6);
    const to = Math.floor((8 * (pad + bytes.length)) / 6);
    const fragment = encoded.slice(from, to);
    if (fragment.length < MIN_BASE64_FRAGMENT) continue;
    out.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** Every form of `value` the redactor looks for. */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  forms.add(JSON.stringify(value).slice(1, -1));
  const url = encodeURIComponent(value);
  forms.add(url);
  forms.add(url.replace(/%20/g, '+'));
  forms.add(url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  for (const fragment of base64Fragments(Buffer.from(value, 'utf8'))) forms.add(fragment);
  forms.delete('');
  return [...forms];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createSecretRedactor(secrets: readonly RedactableSecret[]): SecretRedactor {
  const nameOf = new Map<string, string>();
  for (const secret of secrets) {
    if (secret.value === '') continue;
    for (const form of secretForms(secret.value)) if (!nameOf.has(form)) nameOf.set(form, secret.name);
  }
  const forms = [...nameOf.keys()].sort((a, b) => b.length - a.length);
  const pattern = forms.length === 0 ? null : new RegExp(forms.map(escapeRegExp).join('|'), 'g');

  const redact = (text: string): string =>
    pattern === null ? text : text.replace(pattern, (match) => `[redacted:${nameOf.get(match) ?? 'secret'}]`);

  const redactJson = <T extends Redactable>(value: T): T => {
    if (typeof value === 'string') return redact(value) as T;
    if (typeof value === 'number') {
      const text = String(value);
      const cleaned = redact(text);
      return (cleaned === text ? value : cleaned) as T;
    }
    if (value === null || typeof value === 'boolean') return value;
    if (Array.isArray(value)) return value.map((item: Redactable) => redactJson(item)) as unknown as T;
    const out: Record<string, Redactable> = {};
    for (const [key, item] of Object.entries(value as { readonly [key: string]: Redactable }))
      out[redact(key)] = redactJson(item);
    return out as T;
  };

  const redactError = (error: unknown): AstraError => {
    const code = isAstraError(error) ? error.code : 'ASTRA_INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    const details: Record<string, string | number | boolean | null> = {};
    if (isAstraError(error))
      for (const [key, item] of Object.entries(error.details as ErrorDetails))
        details[redact(key)] = redactJson(item);
    return new AstraError(code, redact(message), { details });
  };

  return { redact, redactJson, redactError };
}
