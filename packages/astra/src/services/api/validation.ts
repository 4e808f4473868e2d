import type { z } from 'zod';
import { AstraError } from '../../errors/index.js';

/** Parses request input with a schema; the first issue becomes ASTRA_VALIDATION_FAILED naming its path. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [where, ...(issue?.path ?? []).map(String)].join('.');
  throw new AstraError('ASTRA_VALIDATION_FAILED', `${path}: ${issue?.message ?? 'invalid'}`, {
    details: { path, reason: issue?.message ?? 'invalid' },
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that is not a UUID names nothing: 404, without asking the database. */
export function idParam(params: unknown, what: string, key = 'id'): string {
  const id = (params as Record<string, unknown>)[key];
  if (typeof id !== 'string' || !UUID.test(id))
    throw new AstraError('ASTRA_NOT_FOUND', `${what} ${String(id)} does not exist`);
  return id.toLowerCase();
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Records go out with upstream's snake_case field names (top-level keys only; payloads stay as given). */
export function snake<T extends object>(record: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record))
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  return out;
}
