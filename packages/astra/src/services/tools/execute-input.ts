import { AstraError } from '../../errors/index.js';
import type { ToolLimits } from './manifest.js';

/**
 * The parts of a `POST /execute` body upstream encoded its own way: `input` as base64 of JSON,
 * and the limits as Kubernetes-style quantities (`memory_limit: "256Mi"`, `cpu_limit: "500m"`).
 * Each malformed one is 400 ASTRA_VALIDATION_FAILED naming the field (`details.path`).
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MEMORY = /^(\d{1,15})(b|k|m|g|K|M|G|T|Ki|Mi|Gi|Ti)?$/;
const CPU = /^(?:\d{1,6}(?:\.\d{1,6})?|\d{1,9}m)$/;
const UNIT: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  K: 1000,
  M: 1000 ** 2,
  G: 1000 ** 3,
  T: 1000 ** 4,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

const invalid = (field: string, reason: string): AstraError =>
  new AstraError('ASTRA_VALIDATION_FAILED', `body.${field}: ${reason}`, {
    details: { path: `body.${field}`, reason },
  });

/** The tool's input from its base64 JSON text; absent or empty: `{}`. */
export function parseExecuteInput(encoded: string | undefined): Record<string, unknown> {
  if (encoded === undefined || encoded === '') return {};
  if (!BASE64.test(encoded)) throw invalid('input', 'must be base64 (RFC 4648, padded)');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64')));
  } catch {
    throw invalid('input', 'must be base64 of UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('input', 'must be base64 of a JSON object (the tool input)');
  return value as Record<string, unknown>;
}

/** Bytes in a memory quantity (`256Mi`, `1G`, `134217728`); ASTRA_VALIDATION_FAILED when it is none. */
function memoryBytes(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = MEMORY.exec(value);
  if (match === null) throw invalid('memory_limit', 'must be a quantity such as 256Mi, 1Gi or bytes');
  return Number(match[1]) * (UNIT[match[2] ?? 'b'] ?? 1);
}

/** What a call asks of its limits, checked: at most this wall time and memory. */
export interface CallLimits {
  readonly wallMs?: number;
  readonly memoryBytes?: number;
}

/**
 * The call's own limits from upstream's fields: `timeout_seconds`, `memory_limit` (a quantity),
 * `cpu_limit` (a number of CPUs or millicores: checked, not applied — the manifest's CPU time
 * limit holds). Absent fields ask nothing (upstream's defaults of 30 s and 256Mi are not applied:
 * the manifest's limits are the tool's).
 */
export function parseCallLimits(call: {
  readonly timeout_seconds?: number | undefined;
  readonly memory_limit?: string | number | undefined;
  readonly cpu_limit?: string | number | undefined;
}): CallLimits {
  if (typeof call.cpu_limit === 'string' && !CPU.test(call.cpu_limit))
    throw invalid('cpu_limit', 'must be a number of CPUs (1, 0.5) or millicores (500m)');
  return {
    ...(call.timeout_seconds === undefined ? {} : { wallMs: call.timeout_seconds * 1000 }),
    ...(call.memory_limit === undefined ? {} : { memoryBytes: memoryBytes(call.memory_limit) }),
  };
}

/** The manifest's limits narrowed by the call's (never widened; memory never below 1 MiB). */
export function narrowedLimits(limits: ToolLimits, call: CallLimits): ToolLimits {
  return {
    ...limits,
    wallMs: Math.min(limits.wallMs, call.wallMs ?? limits.wallMs),
    memoryMb:
      call.memoryBytes === undefined
        ? limits.memoryMb
        : Math.min(limits.memoryMb, Math.max(1, Math.floor(call.memoryBytes / 1024 ** 2))),
  };
}
