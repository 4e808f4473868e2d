import { randomUUID } from 'node:crypto';
import { AstraError } from '../../errors/index.js';
import {
  bigintAsNumber,
  nullable,
  oneOf,
  tableRow,
  text,
  textArray,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { COST_DEFAULTS } from './cost-defaults.js';

/**
 * The budgets' ledger (`llm_budget_counters`, `llm_budget_reservations`): a call reserves its
 * worst case on every counter of its scope before it is sent, atomically and across processes,
 * and settles on what it used when it ends.
 *
 * - `reserve`: one conditional upsert over all the call's counters (in key order, so concurrent
 *   reservations lock rows in one order), each kept only while used + reserved + amount stays
 *   within its limit, and the reservation row, in one statement of one transaction; if any counter
 *   would overrun, the transaction is rolled back (nothing held anywhere) and the call fails with
 *   ASTRA_LLM_BUDGET_EXCEEDED (details: scope, scope_id, period, unit, limit, used, reserved,
 *   requested).
 * - `settle`: deletes the reservation and, in the same statement, moves what it held off
 *   `reserved` and adds the actual usage to `used`. Deleting the row is what makes the hold go
 *   away exactly once: a reservation the sweep already returned releases nothing more.
 *   `release` is settling with nothing used.
 * - `sweep`: returns the holds of reservations past `expires_at` (a process that died between
 *   reserving and settling), on the injected clock.
 * Amounts are integers: tokens, and billionths of a dollar.
 */
export type BudgetScopeKind = 'org' | 'agent' | 'goal';

export interface BudgetKey {
  readonly kind: BudgetScopeKind;
  readonly id: string;
  /** The UTC day (`YYYY-MM-DD`) or `total`. */
  readonly period: string;
}

export interface BudgetLimit {
  readonly tokens: number | null;
  readonly nanoUsd: number | null;
}

export interface BudgetLine {
  readonly key: BudgetKey;
  readonly limit: BudgetLimit;
}

export interface BudgetAmount {
  readonly tokens: number;
  readonly nanoUsd: number;
}

export interface Reservation {
  readonly id: string;
  readonly keys: readonly BudgetKey[];
  readonly amount: BudgetAmount;
}

/** The one decoder of an `llm_budget_counters` row. */
export const budgetCounterRow = tableRow('llm_budget_counters', {
  scopeKind: oneOf(['org', 'agent', 'goal'] as const),
  scopeId: uuid,
  period: text,
  usedTokens: bigintAsNumber,
  reservedTokens: bigintAsNumber,
  usedNanoUsd: bigintAsNumber,
  reservedNanoUsd: bigintAsNumber,
  limitTokens: nullable(bigintAsNumber),
  limitNanoUsd: nullable(bigintAsNumber),
});
export type BudgetCounter = ReturnType<typeof budgetCounterRow.decode>;

/** The one decoder of an `llm_budget_reservations` row. */
export const budgetReservationRow = tableRow('llm_budget_reservations', {
  id: uuid,
  scopeKinds: textArray,
  scopeIds: textArray,
  periods: textArray,
  tokens: bigintAsNumber,
  nanoUsd: bigintAsNumber,
  expiresAt: timestamp,
});

export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

const keyOrder = (a: BudgetKey, b: BudgetKey): number =>
  a.kind === b.kind
    ? a.id === b.id
      ? a.period.localeCompare(b.period)
      : a.id < b.id
        ? -1
        : 1
    : a.kind < b.kind
      ? -1
      : 1;

const RESERVE = `
WITH lines AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[])
    AS l(scope_kind, scope_id, period, limit_tokens, limit_nano_usd)
),
held AS (
  INSERT INTO llm_budget_counters AS c
    (scope_kind, scope_id, period, reserved_tokens, reserved_nano_usd, limit_tokens, limit_nano_usd)
  SELECT scope_kind, scope_id, period, $6::bigint, $7::bigint, limit_tokens, limit_nano_usd FROM lines
  WHERE (limit_tokens IS NULL OR $6::bigint <= limit_tokens)
    AND (limit_nano_usd IS NULL OR $7::bigint <= limit_nano_usd)
  ON CONFLICT (scope_kind, scope_id, period) DO UPDATE SET
    reserved_tokens = c.reserved_tokens + EXCLUDED.reserved_tokens,
    reserved_nano_usd = c.reserved_nano_usd + EXCLUDED.reserved_nano_usd,
    limit_tokens = EXCLUDED.limit_tokens,
    limit_nano_usd = EXCLUDED.limit_nano_usd
  WHERE (EXCLUDED.limit_tokens IS NULL
         OR c.used_tokens + c.reserved_tokens + EXCLUDED.reserved_tokens <= EXCLUDED.limit_tokens)
    AND (EXCLUDED.limit_nano_usd IS NULL
         OR c.used_nano_usd + c.reserved_nano_usd + EXCLUDED.reserved_nano_usd <= EXCLUDED.limit_nano_usd)
  RETURNING 1
),
reservation AS (
  INSERT INTO llm_budget_reservations (id, scope_kinds, scope_ids, periods, tokens, nano_usd, expires_at)
  SELECT $8::uuid, $1::text[], $2::uuid[], $3::text[], $6::bigint, $7::bigint, $9::timestamptz
  WHERE (SELECT count(*) FROM held) = cardinality($1::text[])
  RETURNING 1
)
SELECT (SELECT count(*)::int FROM held) AS held`;

const SETTLE = `
WITH gone AS (DELETE FROM llm_budget_reservations WHERE id = $1::uuid RETURNING tokens, nano_usd),
lines AS (SELECT * FROM unnest($2::text[], $3::uuid[], $4::text[]) AS l(scope_kind, scope_id, period))
INSERT INTO llm_budget_counters AS c (scope_kind, scope_id, period, used_tokens, used_nano_usd)
SELECT scope_kind, scope_id, period, $5::bigint, $6::bigint FROM lines
ON CONFLICT (scope_kind, scope_id, period) DO UPDATE SET
  used_tokens = c.used_tokens + EXCLUDED.used_tokens,
  used_nano_usd = c.used_nano_usd + EXCLUDED.used_nano_usd,
  reserved_tokens = c.reserved_tokens - coalesce((SELECT tokens FROM gone), 0),
  reserved_nano_usd = c.reserved_nano_usd - coalesce((SELECT nano_usd FROM gone), 0)`;

const SWEEP = `
WITH gone AS (
  DELETE FROM llm_budget_reservations WHERE id IN (
    SELECT id FROM llm_budget_reservations WHERE expires_at <= $1::timestamptz
    ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING scope_kinds, scope_ids, periods, tokens, nano_usd
),
lines AS (
  SELECT u.scope_kind, u.scope_id, u.period, sum(g.tokens) AS tokens, sum(g.nano_usd) AS nano_usd
  FROM gone g CROSS JOIN LATERAL unnest(g.scope_kinds, g.scope_ids, g.periods) AS u(scope_kind, scope_id, period)
  GROUP BY 1, 2, 3
),
returned AS (
  UPDATE llm_budget_counters c SET
    reserved_tokens = c.reserved_tokens - l.tokens,
    reserved_nano_usd = c.reserved_nano_usd - l.nano_usd
  FROM lines l
  WHERE c.scope_kind = l.scope_kind AND c.scope_id = l.scope_id AND c.period = l.period
  RETURNING 1
)
SELECT (SELECT count(*)::int FROM gone) AS swept, (SELECT count(*)::int FROM returned) AS counters`;

export interface BudgetLedgerOptions {
  readonly clock: Clock;
  /** How long a reservation holds before the sweep returns it; default COST_DEFAULTS.reservationTtlMs. */
  readonly reservationTtlMs?: number;
}

const asArrays = (keys: readonly BudgetKey[]) => [
  keys.map((k) => k.kind),
  keys.map((k) => k.id),
  keys.map((k) => k.period),
];

export class BudgetLedger {
  readonly #store: SqlStore;
  readonly #clock: Clock;
  readonly #ttlMs: number;

  constructor(store: SqlStore, options: BudgetLedgerOptions) {
    this.#store = store;
    this.#clock = options.clock;
    this.#ttlMs = options.reservationTtlMs ?? COST_DEFAULTS.reservationTtlMs;
  }

  /** Holds `amount` on every line's counter, or none: ASTRA_LLM_BUDGET_EXCEEDED when one would overrun. */
  async reserve(lines: readonly BudgetLine[], amount: BudgetAmount): Promise<Reservation> {
    const sorted = [...lines].sort((a, b) => keyOrder(a.key, b.key));
    const keys = sorted.map((line) => line.key);
    const id = randomUUID();
    const expiresAt = new Date(this.#clock.now() + this.#ttlMs).toISOString();
    const params = [
      ...asArrays(keys),
      sorted.map((line) => line.limit.tokens),
      sorted.map((line) => line.limit.nanoUsd),
      amount.tokens,
      amount.nanoUsd,
      id,
      expiresAt,
    ];
    const overrun = Symbol('overrun');
    try {
      await this.#store.transaction(async (tx) => {
        const { rows } = await tx.query<{ held: number }>(RESERVE, params);
        if ((rows[0]?.held ?? 0) !== keys.length) throw overrun;
      });
    } catch (error) {
      if (error !== overrun) throw error;
      throw await this.#exceeded(sorted, amount);
    }
    return { id, keys, amount };
  }

  /** Ends a reservation: its hold goes, `used` (what the call actually used) is counted. */
  async settle(reservation: Reservation, used: BudgetAmount): Promise<void> {
    const params = [reservation.id, ...asArrays(reservation.keys), used.tokens, used.nanoUsd];
    await this.#store.transaction((tx) => tx.query(SETTLE, params).then(() => undefined));
  }

  release(reservation: Reservation): Promise<void> {
    return this.settle(reservation, { tokens: 0, nanoUsd: 0 });
  }

  /** Returns the holds of expired reservations (at most `limit` per call); how many it returned. */
  async sweep(limit = 1000): Promise<number> {
    const now = new Date(this.#clock.now()).toISOString();
    const { rows } = await this.#store.transaction((tx) => tx.query<{ swept: number }>(SWEEP, [now, limit]));
    return rows[0]?.swept ?? 0;
  }

  /** The counters of `keys` that exist. */
  counters(keys: readonly BudgetKey[], db: SqlExecutor = this.#store): Promise<BudgetCounter[]> {
    return readCounters(db, keys);
  }

  async #exceeded(lines: readonly BudgetLine[], amount: BudgetAmount): Promise<AstraError> {
    const counters = await readCounters(
      this.#store,
      lines.map((line) => line.key),
    );
    const find = (key: BudgetKey) =>
      counters.find((c) => c.scopeKind === key.kind && c.scopeId === key.id && c.period === key.period);
    for (const { key, limit } of lines) {
      const counter = find(key);
      const used = { tokens: counter?.usedTokens ?? 0, nanoUsd: counter?.usedNanoUsd ?? 0 };
      const reserved = { tokens: counter?.reservedTokens ?? 0, nanoUsd: counter?.reservedNanoUsd ?? 0 };
      if (limit.tokens !== null && used.tokens + reserved.tokens + amount.tokens > limit.tokens)
        return budgetError(key, 'tokens', limit.tokens, used.tokens, reserved.tokens, amount.tokens);
      if (limit.nanoUsd !== null && used.nanoUsd + reserved.nanoUsd + amount.nanoUsd > limit.nanoUsd)
        return budgetError(
          key,
          'usd',
          limit.nanoUsd / 1e9,
          used.nanoUsd / 1e9,
          reserved.nanoUsd / 1e9,
          amount.nanoUsd / 1e9,
        );
    }
    // Another call settled in between: report the tightest line as it was asked.
    const first = lines.find((line) => line.limit.tokens !== null || line.limit.nanoUsd !== null) ?? lines[0];
    const key = first?.key ?? { kind: 'org', id: '', period: '' };
    return budgetError(key, 'tokens', first?.limit.tokens ?? 0, 0, 0, amount.tokens);
  }
}

function budgetError(
  key: BudgetKey,
  unit: 'tokens' | 'usd',
  limit: number,
  used: number,
  reserved: number,
  requested: number,
): AstraError {
  const what = key.kind === 'goal' ? 'goal' : `${key.kind} daily (${key.period})`;
  return new AstraError(
    'ASTRA_LLM_BUDGET_EXCEEDED',
    `the call needs up to ${requested} ${unit} and the ${what} budget has ${Math.max(0, limit - used - reserved)} of ${limit} left`,
    {
      details: {
        scope: key.kind,
        scope_id: key.id,
        period: key.period,
        unit,
        limit,
        used,
        reserved,
        requested,
      },
    },
  );
}

export async function readCounters(db: SqlExecutor, keys: readonly BudgetKey[]): Promise<BudgetCounter[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query(
    `SELECT ${budgetCounterRow.columns('c')} FROM llm_budget_counters c
     JOIN unnest($1::text[], $2::uuid[], $3::text[]) AS k(scope_kind, scope_id, period)
       ON c.scope_kind = k.scope_kind AND c.scope_id = k.scope_id AND c.period = k.period`,
    asArrays(keys),
  );
  return rows.map(budgetCounterRow.decode);
}
