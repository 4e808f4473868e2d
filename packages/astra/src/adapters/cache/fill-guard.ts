/**
 * Guards the two-tier cache against the stale-fill race.
 *
 * The race: process P misses locally and reads key K from the remote tier (old value); meanwhile
 * another process writes K and P receives the invalidation (nothing local to delete yet); then
 * P's read returns and stores the old value locally, where it would stay until its local TTL.
 *
 * The guard: every remote read (and every write-through) takes a ticket for its key before it
 * starts. An invalidation of the key marks every ticket open on it stale. When the read returns,
 * `end` says whether the ticket is still fresh; only a fresh one may store what it read.
 * Only open tickets are held, so memory stays bounded by the operations in flight.
 */
export interface FillTicket {
  stale: boolean;
}

export class FillGuard {
  readonly #open = new Map<string, Set<FillTicket>>();

  begin(key: string): FillTicket {
    const ticket: FillTicket = { stale: false };
    let tickets = this.#open.get(key);
    if (tickets === undefined) {
      tickets = new Set();
      this.#open.set(key, tickets);
    }
    tickets.add(ticket);
    return ticket;
  }

  /** Closes the ticket; true when no invalidation of its key arrived while it was open. */
  end(key: string, ticket: FillTicket): boolean {
    const tickets = this.#open.get(key);
    tickets?.delete(ticket);
    if (tickets?.size === 0) this.#open.delete(key);
    return !ticket.stale;
  }

  invalidate(keys: Iterable<string>): void {
    for (const key of keys) {
      for (const ticket of this.#open.get(key) ?? []) ticket.stale = true;
    }
  }

  invalidateAll(): void {
    for (const tickets of this.#open.values()) {
      for (const ticket of tickets) ticket.stale = true;
    }
  }
}
