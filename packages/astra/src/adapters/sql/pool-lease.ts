import type { PoolClient } from 'pg';

/**
 * One checked-out pool connection, for the span of one statement or one transaction attempt.
 *
 * While a client is checked out pg-pool listens to none of its 'error' events, and an unheard
 * 'error' event crashes the process; a backend terminated while its transaction waits between
 * statements emits exactly that. The lease listens for the whole checkout and remembers the
 * connection as broken.
 *
 * On release a broken connection is handed back with the error, which makes pg-pool destroy it
 * and open a fresh one next time. Ordinary statement errors (a SQLSTATE from the server) leave the
 * connection healthy, so it is returned normally. A store with one irreplaceable connection
 * (PGlite: every pg client shares the same in-process connection object, and destroying one ends
 * it for good) never discards.
 *
 * `onRelease` runs once the client is back in the pool: a single-connection store frees its
 * connection gate there (connection-gate.ts).
 */
export class PoolLease {
  readonly client: PoolClient;
  readonly #canDiscard: boolean;
  readonly #onRelease: (() => void) | undefined;
  #broken = false;
  /** The first statement error in this checkout; a COMMIT that reports ROLLBACK is explained by it. */
  firstError: unknown;

  readonly #onError = (): void => {
    this.#broken = true;
  };

  constructor(client: PoolClient, canDiscard: boolean, onRelease?: () => void) {
    this.client = client;
    this.#canDiscard = canDiscard;
    this.#onRelease = onRelease;
    client.on('error', this.#onError);
  }

  /** True when the connection will be discarded on release: it cannot carry another statement. */
  get broken(): boolean {
    return this.#canDiscard && this.#broken;
  }

  markBroken(): void {
    this.#broken = true;
  }

  release(): void {
    this.client.removeListener('error', this.#onError);
    this.client.release(this.broken);
    this.#onRelease?.();
  }
}
