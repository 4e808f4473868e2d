import { createSecretRedactor, type SecretRedactor } from '../../ports/secret-redactor.js';
import { type Connection, type ConnectOptions, connectServer } from './connect.js';
import type { McpServerSpec } from './server-config.js';

/**
 * One MCP client session per server on this node, opened on first use and shared by every call to
 * that server's tools (an MCP session serves concurrent requests). A session whose transport
 * closes (the stdio child exited, the HTTP server went away) leaves the pool, and so does one a
 * call found broken (`drop`): the next call opens a new one. `close` ends every session, which
 * for stdio servers terminates their child processes (SIGTERM, then SIGKILL), so none outlives
 * the node.
 *
 * State machine of an entry: absent → connecting (one shared promise, so concurrent first calls
 * open one session) → open → absent (closed, dropped, failed to open).
 */
export interface PooledSession {
  readonly connection: Connection;
  readonly redactor: SecretRedactor;
}

interface Entry {
  readonly opened: Promise<PooledSession>;
}

export class McpClientPool {
  readonly #options: ConnectOptions;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(options: ConnectOptions) {
    this.#options = options;
  }

  /** Opens a session to a server that is not (yet) in the pool, for registration; the caller closes it or adopts it. */
  async open(spec: McpServerSpec): Promise<PooledSession> {
    const connection = await connectServer(spec, this.#options);
    return { connection, redactor: createSecretRedactor(connection.secrets) };
  }

  /**
   * The server's session, opened now if there is none, from the spec `load` reads (null: no such
   * server, answered as null).
   */
  async session(name: string, load: () => Promise<McpServerSpec | null>): Promise<PooledSession | null> {
    if (this.#closed) throw new Error('the MCP client pool is closed');
    const known = this.#entries.get(name);
    if (known !== undefined) return known.opened;
    const spec = await load();
    if (spec === null) return null;
    return this.#entries.get(name)?.opened ?? this.#add(name, this.open(spec));
  }

  /** Puts a session opened by `open` into the pool (closing the one it replaces). */
  adopt(name: string, session: PooledSession): void {
    if (this.#closed) {
      void session.connection.client.close().catch(() => undefined);
      return;
    }
    this.drop(name);
    void this.#add(name, Promise.resolve(session));
  }

  /** Ends the server's session, if any; the next call opens a new one. */
  drop(name: string): void {
    const entry = this.#entries.get(name);
    if (entry === undefined) return;
    this.#entries.delete(name);
    void entry.opened.then(
      (session) => session.connection.client.close(),
      () => undefined,
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      entries.map((entry) =>
        entry.opened.then(
          (session) => session.connection.client.close(),
          () => undefined,
        ),
      ),
    );
  }

  #add(name: string, opened: Promise<PooledSession>): Promise<PooledSession> {
    const entry: Entry = { opened };
    this.#entries.set(name, entry);
    opened.then(
      (session) => {
        // The transport closing (the child exited, the server hung up) ends the entry.
        session.connection.client.onclose = () => {
          if (this.#entries.get(name) === entry) this.#entries.delete(name);
        };
      },
      () => {
        if (this.#entries.get(name) === entry) this.#entries.delete(name);
      },
    );
    return opened;
  }
}
