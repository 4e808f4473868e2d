import type { SqlStore } from '../../ports/sql-store.js';

/**
 * The decision audit: denials and allowed changes are written to `access_decisions`, batched (one
 * multi-row insert per flush, at most every 100 ms or 200 entries) so auditing does not add a
 * round trip to the request. Allowed reads are not stored one by one; they are counted
 * (`allowedReads`). `flush` is awaited at shutdown so no decision is lost on a clean stop.
 */
export interface DecisionRecord {
  readonly principal: string;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly orgId: string | null;
  readonly allowed: boolean;
  readonly policyVersion: number;
  readonly reasons: readonly string[];
}

const FLUSH_MS = 100;
const FLUSH_SIZE = 200;

export class DecisionLog {
  allowedReads = 0;
  readonly #store: SqlStore;
  readonly #onError: (error: unknown) => void;
  #pending: DecisionRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(store: SqlStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  record(entry: DecisionRecord): void {
    this.#pending.push(entry);
    if (this.#pending.length >= FLUSH_SIZE) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is pending; resolves when it (and any earlier flush) is stored. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    this.#flushing = this.#flushing.then(() => (batch.length === 0 ? undefined : this.#write(batch)));
    return this.#flushing;
  }

  async #write(batch: DecisionRecord[]): Promise<void> {
    try {
      await this.#store.query(
        `INSERT INTO access_decisions
           (principal, action, resource_type, resource_id, org_id, decision, policy_version, reasons)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[],
                              $7::int[], $8::jsonb[])`,
        [
          batch.map((d) => d.principal),
          batch.map((d) => d.action),
          batch.map((d) => d.resourceType),
          batch.map((d) => d.resourceId),
          batch.map((d) => d.orgId),
          batch.map((d) => (d.allowed ? 'allow' : 'deny')),
          batch.map((d) => d.policyVersion),
          batch.map((d) => JSON.stringify(d.reasons)),
        ],
      );
    } catch (error) {
      this.#onError(error);
    }
  }
}
