/** An error answered by an Astra server: the stable `code` is what callers should match on. */
export class AstraApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    status: number,
    body: { code?: string; message?: string; retryable?: boolean; details?: Record<string, unknown> },
  ) {
    super(body.message ?? `Astra answered HTTP ${status}`);
    this.name = 'AstraApiError';
    this.status = status;
    this.code = body.code ?? `HTTP_${status}`;
    this.retryable = body.retryable ?? status >= 500;
    this.details = body.details ?? {};
  }
}
