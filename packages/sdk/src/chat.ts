/**
 * A chat session over its WebSocket (`GET /chat/ws`, docs/chat.md): `turn(content)` sends a message
 * and yields the turn's frames as they arrive, until `done` (or the one `error` frame of a refused
 * turn). The WebSocket comes from `webSocket` (Node 20 has no global one: pass a factory over the
 * `ws` package, which can send the token as a header) or, by default, the global `WebSocket`, to
 * which the token goes as `?access_token=` (browsers cannot set headers on a WebSocket).
 */
export type ChatFrame =
  | { type: 'session'; session_id: string; agent_id: string; title: string; status: string }
  | { type: 'message_start'; message_id: string; session_id: string }
  | { type: 'chunk'; message_id: string; content: string }
  | { type: 'tool_call'; message_id: string; call_id: string; name: string; arguments: string }
  | {
      type: 'tool_result';
      message_id: string;
      call_id: string;
      done: boolean;
      status: 'waiting_approval' | 'completed' | 'failed';
      result?: unknown;
      error?: { code: string; message: string };
      approval_id?: string | null;
      task_id?: string | null;
      goal_id?: string | null;
    }
  | {
      type: 'message_end';
      message_id: string;
      status: 'complete' | 'cancelled' | 'failed';
      usage: { tokens_in: number; tokens_out: number; estimated: boolean };
      model: string | null;
    }
  | { type: 'done'; message_id: string | null }
  | {
      type: 'error';
      code: string;
      upstream_code: string;
      message: string;
      details?: Record<string, unknown>;
    }
  | { type: 'pong' };

/** The part of a WebSocket the client uses (the WHATWG interface; the `ws` package has it too). */
export interface ChatWebSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void;
}

/** Opens a WebSocket to `url`; `headers` holds the credential when the implementation can send headers. */
export type ChatWebSocketFactory = (url: string, headers: Readonly<Record<string, string>>) => ChatWebSocket;

export interface ChatConnectOptions {
  readonly webSocket?: ChatWebSocketFactory;
}

const OPEN = 1;

export class ChatConnection {
  readonly #socket: ChatWebSocket;
  readonly #queue: ChatFrame[] = [];
  #waiter: (() => void) | null = null;
  #closed: { code: number; reason: string } | null = null;
  /** The `session` frame the server sent first. */
  session!: Extract<ChatFrame, { type: 'session' }>;

  private constructor(socket: ChatWebSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (event: { data: unknown }) => {
      try {
        this.#queue.push(JSON.parse(String(event.data)) as ChatFrame);
      } catch {
        return;
      }
      this.#wake();
    });
    socket.addEventListener('close', (event: { code: number; reason: string }) => {
      this.#closed = { code: event.code, reason: String(event.reason ?? '') };
      this.#wake();
    });
  }

  /** Connects and waits for the `session` frame; rejects with the `error` frame's code when refused. */
  static async open(
    connection: { readonly baseUrl: string; readonly token: string | undefined },
    sessionId: string,
    options: ChatConnectOptions = {},
  ): Promise<ChatConnection> {
    const base = connection.baseUrl.replace(/^http/, 'ws');
    const query = new URLSearchParams({ session_id: sessionId });
    const headers: Record<string, string> = {};
    if (connection.token !== undefined) {
      if (options.webSocket === undefined) query.set('access_token', connection.token);
      else headers.authorization = `Bearer ${connection.token}`;
    }
    const url = `${base}/chat/ws?${query}`;
    const factory =
      options.webSocket ??
      ((target: string) => {
        const Global = (globalThis as { WebSocket?: new (url: string) => ChatWebSocket }).WebSocket;
        if (Global === undefined)
          throw new Error(
            'no global WebSocket here (Node 20): pass options.webSocket (e.g. over the ws package)',
          );
        return new Global(target);
      });
    const socket = factory(url, headers);
    const chat = new ChatConnection(socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve());
      socket.addEventListener('error', () => reject(new Error(`could not open ${base}/chat/ws`)));
    });
    const first = await chat.#next();
    if (first?.type === 'session') {
      chat.session = first;
      return chat;
    }
    chat.close();
    throw new ChatError(first?.type === 'error' ? first : null, chat.#closed);
  }

  /**
   * Sends a message and yields the turn's frames until `done`; a refused turn yields its `error`
   * frame and ends. Stopping the iteration early does not cancel the turn (call `cancel`).
   */
  async *turn(content: string): AsyncGenerator<ChatFrame, void, undefined> {
    this.#send({ type: 'message', content });
    let started = false;
    for (;;) {
      const frame = await this.#next();
      if (frame === null) return;
      if (frame.type === 'pong') continue;
      yield frame;
      if (frame.type === 'message_start') started = true;
      if (frame.type === 'done' || (frame.type === 'error' && !started)) return;
    }
  }

  /** Cancels the running turn: its `message_end` then says `cancelled`. */
  cancel(): void {
    this.#send({ type: 'cancel' });
  }

  ping(): void {
    this.#send({ type: 'ping' });
  }

  close(): void {
    if (this.#socket.readyState === OPEN) this.#socket.close(1000);
  }

  #send(frame: unknown): void {
    if (this.#socket.readyState !== OPEN) throw new ChatError(null, this.#closed);
    this.#socket.send(JSON.stringify(frame));
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  /** The next frame, or null once the socket closed and every frame was read. */
  async #next(): Promise<ChatFrame | null> {
    for (;;) {
      const frame = this.#queue.shift();
      if (frame !== undefined) return frame;
      if (this.#closed !== null) return null;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
  }
}

/** A chat connection refused or gone: the server's `error` frame when it sent one, and the close. */
export class ChatError extends Error {
  readonly code: string | null;
  readonly close: { code: number; reason: string } | null;

  constructor(
    frame: Extract<ChatFrame, { type: 'error' }> | null,
    close: { code: number; reason: string } | null,
  ) {
    super(
      frame === null
        ? `the chat socket closed${close === null ? '' : ` (${close.code})`}`
        : `${frame.code}: ${frame.message}`,
    );
    this.name = 'ChatError';
    this.code = frame?.code ?? null;
    this.close = close;
  }
}
