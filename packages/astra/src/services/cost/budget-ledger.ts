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
 * - `reserve`: one statement, autocommitted: it locks the call's counters in key order (so
 *   concurrent reservations, settlements and sweeps never deadlock), checks that on every one
 *   used + reserved + amount stays within its limit, and only if all fit adds the hold to each and
 *   writes the reservation row; otherwise it changes nothing and the call fails with
 *   ASTRA_LLM_BUDGET_EXCEEDED (details: scope, scope_id, period, unit, limit, used, reserved,
 *   requested). Row locks last one statement. The first call on a counter (a new day, a new goal)
 *   makes the missing rows first (one more statement).
 * - `settle`: deletes the reservation and, in the same statement, moves what it held off
 *   `reserved` and adds the actual usage to `used`. Deleting the row is what makes the hold go
 *   away exactly once: a reservation the sweep already returned releases nothing more.
 *   `release` is settling with nothing used.
 * - `sweep`: releases reservations past `expires_at` (a process that died between reserving and
 *   settling), on the injected clock, each through the same statement as `settle`.
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

const LINES = `lines AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[])
    AS l(scope_kind, scope_id, period, limit_tokens, limit_nano_usd)
)`;

/**
 * One statement, autocommitted: lock the call's counters in key order, check every one, and only
 * if all fit add the hold to each and write the reservation. The row locks last one statement.
 */
const RESERVE = `
WITH ${LINES},
locked AS (
  SELECT c.scope_kind, c.scope_id, c.period, c.used_tokens, c.reserved_tokens, c.used_nano_usd, c.reserved_nano_usd
  FROM llm_budget_counters c JOIN lines l USING (scope_kind, scope_id, period)
  ORDER BY c.scope_kind, c.scope_id, c.period
  FOR UPDATE OF c
),
verdict AS (
  SELECT count(*)::int AS found, coalesce(bool_and(
      (l.limit_tokens IS NULL OR k.used_tokens + k.reserved_tokens + $6::bigint <= l.limit_tokens)
      AND (l.limit_nano_usd IS NULL OR k.used_nano_usd + k.reserved_nano_usd + $7::bigint <= l.limit_nano_usd)
    ), true) AS fits
  FROM locked k JOIN lines l USING (scope_kind, scope_id, period)
),
held AS (
  UPDATE llm_budget_counters c SET
    reserved_tokens = c.reserved_tokens + $6::bigint,
    reserved_nano_usd = c.reserved_nano_usd + $7::bigint,
    limit_tokens = l.limit_tokens,
    limit_nano_usd = l.limit_nano_usd
  FROM lines l, verdict v
  WHERE c.scope_kind = l.scope_kind AND c.scope_id = l.scope_id AND c.period = l.period
    AND v.found = cardinality($1::text[]) AND v.fits
  RETURNING 1
),
reservation AS (
  INSERT INTO llm_budget_reservations (id, scope_kinds, scope_ids, periods, tokens, nano_usd, expires_at)
  SELECT $8::uuid, $1::text[], $2::uuid[], $3::text[], $6::bigint, $7::bigint, $9::timestamptz
  FROM verdict v WHERE v.found = cardinality($1::text[]) AND v.fits
  RETURNING 1
)
SELECT v.found, v.fits, (SELECT count(*)::int FROM held) AS held FROM verdict v`;

/** The counters a first call of the day (or of a goal) needs, made before it reserves. */
const ENSURE = `
WITH ${LINES}
INSERT INTO llm_budget_counters (scope_kind, scope_id, period)
SELECT scope_kind, scope_id, period FROM lines
ON CONFLICT (scope_kind, scope_id, period) DO NOTHING`;

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

const EXPIRED = `
SELECT ${budgetReservationRow.columns()} FROM llm_budget_reservations
WHERE expires_at <= $1::timestamptz ORDER BY expires_at LIMIT $2`;

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
    for (let round = 0; ; round++) {
      const { rows } = await this.#store.query<{ found: number; fits: boolean }>(RESERVE, params);
      const verdict = rows[0];
      if (verdict !== undefined && verdict.found === keys.length) {
        if (!verdict.fits) throw await this.#exceeded(sorted, amount);
        break;
      }
      if (round > 0)
        throw new AstraError('ASTRA_INTERNAL', 'a budget counter vanished while a call reserved on it');
      await this.#store.query(ENSURE, params.slice(0, 5));
    }
    return { id, keys, amount };
  }

  /** Ends a reservation: its hold goes, `used` (what the call actually used) is counted. */
  async settle(reservation: Reservation, used: BudgetAmount): Promise<void> {
    const params = [reservation.id, ...asArrays(reservation.keys), used.tokens, used.nanoUsd];
    await this.#store.query(SETTLE, params);
  }

  release(reservation: Reservation): Promise<void> {
    return this.settle(reservation, { tokens: 0, nanoUsd: 0 });
  }

  /** Returns the holds of expired reservations (at most `limit` per call); how many it returned. */
  async sweep(limit = 1000): Promise<number> {
    const now = new Date(this.#clock.now()).toISOString();
    const { rows } = await this.#store.query(EXPIRED, [now, limit]);
    for (const row of rows.map(budgetReservationRow.decode)) {
      const keys = row.scopeKinds.map((kind, i) => ({
        kind: kind as BudgetScopeKind,
        id: row.scopeIds[i] as string,
        period: row.periods[i] as string,
      }));
      // Settling with nothing used: the hold goes once, whoever (a late settle, another sweep) comes first.
      await this.release({ id: row.id, keys, amount: { tokens: row.tokens, nanoUsd: row.nanoUsd } });
    }
    return rows.length;
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
