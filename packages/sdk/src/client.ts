import { ChatConnection, type ChatConnectOptions } from './chat.js';
import { AstraApiError } from './errors.js';
import { type EventStreamOptions, streamEvents } from './events.js';
import { AstraOperations, type OperationRequest, type Session, type StreamedEvent } from './operations.js';

export interface ClientOptions {
  /** Base URL of an Astra gateway, e.g. http://127.0.0.1:8080. */
  readonly baseUrl: string;
  /** Bearer token or API key sent on every request except the public operations. */
  readonly token?: string;
  /** Per-request timeout; default 10 s. */
  readonly timeoutMs?: number;
  /** A fetch implementation; the global one by default. */
  readonly fetch?: typeof fetch;
}

/**
 * A typed client for Astra's public HTTP API: one method per operation (AstraOperations,
 * generated from the OpenAPI document), plus logins that remember their token and the live event
 * stream as an async iterator. It has no dependencies beyond `fetch`, so it installs without any
 * of the server's packages. Errors answered by the server are AstraApiError.
 */
export class AstraClient extends AstraOperations {
  readonly #baseUrl: string;
  #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    super();
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Logs in; the client then sends the new access token. Keep `refresh_token` to renew it. */
  async login(email: string, password: string): Promise<Session> {
    const session = await this.createSession({ email, password });
    this.#token = session.token;
    return session;
  }

  /**
   * Trades a refresh token for a new access token (which the client then sends) and a new refresh
   * token; the one passed in is spent, and presenting it again ends the whole login.
   */
  async refresh(refreshToken: string): Promise<Session> {
    const session = await this.refreshSession({ refresh_token: refreshToken });
    this.#token = session.token;
    return session;
  }

  /** Ends the login the refresh token belongs to. */
  logout(refreshToken: string): Promise<{ readonly logged_out: true }> {
    return this.deleteSession({ refresh_token: refreshToken });
  }

  /** Live events (SSE), optionally of one goal or agent; reconnects by itself, resuming after the last event. */
  events(options: EventStreamOptions = {}): AsyncGenerator<StreamedEvent, void, undefined> {
    return streamEvents({ baseUrl: this.#baseUrl, token: this.#token, fetch: this.#fetch }, options);
  }

  /**
   * A chat session's WebSocket (docs/chat.md): `turn(content)` yields the turn's frames. Node 20
   * has no global WebSocket: pass `webSocket` (a factory over the `ws` package).
   */
  connectChatSession(sessionId: string, options: ChatConnectOptions = {}): Promise<ChatConnection> {
    return ChatConnection.open({ baseUrl: this.#baseUrl, token: this.#token }, sessionId, options);
  }

  protected send<T>(request: OperationRequest): Promise<T> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) query.set(name, String(value));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {}))
      if (value !== undefined) headers[name] = value;
    const text = query.toString();
    return this.request<T>(request.method, `${request.path}${text === '' ? '' : `?${text}`}`, {
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(request.auth === false ? { auth: false } : {}),
      acceptStatuses: request.statuses,
      headers,
      ...(request.raw === true ? { raw: true } : {}),
    });
  }

  /**
   * Any call by method and path (with its query string); resolves with the parsed JSON answer of
   * a 2xx or an accepted status, or with the Response itself when `raw`.
   */
  async request<T>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      auth?: boolean;
      acceptStatuses?: readonly number[];
      headers?: Readonly<Record<string, string>>;
      raw?: boolean;
      /** Aborts the request (with the timeout, unless `raw`). */
      signal?: AbortSignal;
      /** This request's timeout instead of the client's (a long-poll waits longer). */
      timeoutMs?: number;
    } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.auth !== false && this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const init: RequestInit = { method, headers };
    const timeout =
      options.raw === true ? undefined : AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs);
    const signals = [timeout, options.signal].filter((signal): signal is AbortSignal => signal !== undefined);
    if (signals.length > 0) init.signal = AbortSignal.any(signals);
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    const response = await this.#fetch(`${this.#baseUrl}${path}`, init);
    const accepted = response.ok || options.acceptStatuses?.includes(response.status) === true;
    if (options.raw === true && accepted) return response as T;
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : safeJson(text);
    if (accepted) return parsed as T;
    const error = (parsed as { error?: unknown } | undefined)?.error;
    throw new AstraApiError(
      response.status,
      typeof error === 'object' && error !== null ? error : { message: text },
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
