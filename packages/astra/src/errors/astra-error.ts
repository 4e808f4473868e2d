import { ERROR_CODES, type ErrorCategory, type ErrorCode } from './codes.js';

/** JSON-safe detail values: what may travel in an error body or a log line. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null>>;

export interface ErrorOptions {
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

/** The one error type Astra throws on purpose. Everything else is normalized into it at the edges. */
export class AstraError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message?: string, options: ErrorOptions = {}) {
    const spec = ERROR_CODES[code];
    super(message ?? spec.summary, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AstraError';
    this.code = code;
    this.category = spec.category;
    this.retryable = spec.retryable;
    this.httpStatus = spec.httpStatus;
    this.details = options.details ?? {};
  }

  /** The body a client sees: code, message, details. Never the cause or the stack. */
  toJSON(): { code: ErrorCode; message: string; retryable: boolean; details: ErrorDetails } {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

export function isAstraError(value: unknown, code?: ErrorCode): value is AstraError {
  return value instanceof AstraError && (code === undefined || value.code === code);
}

/** Turns anything thrown into an AstraError; unknown throws become ASTRA_INTERNAL with the original as cause. */
export function normalizeError(value: unknown): AstraError {
  if (value instanceof AstraError) return value;
  return new AstraError('ASTRA_INTERNAL', undefined, { cause: value });
}
