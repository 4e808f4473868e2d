import { AstraError } from '../../errors/index.js';
import type { IsolationLevel, TransactionOptions } from '../../ports/sql-store.js';

/** Transaction options with defaults applied and checked once: the BEGIN text and the attempt budget. */
export interface TransactionSettings {
  readonly begin: string;
  readonly maxAttempts: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

const ISOLATION_SQL: Readonly<Record<IsolationLevel, string>> = {
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
};

/** Callers may be plain JavaScript, so the literal union is checked at run time too. */
export function transactionSettings(options: TransactionOptions = {}): TransactionSettings {
  const isolation = options.isolation ?? 'read committed';
  if (!Object.hasOwn(ISOLATION_SQL, isolation)) {
    throw new AstraError('ASTRA_VALIDATION_FAILED', `unknown isolation level: ${String(isolation)}`, {
      details: { isolation: String(isolation) },
    });
  }
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new AstraError('ASTRA_VALIDATION_FAILED', 'maxAttempts must be an integer of at least 1', {
      details: { maxAttempts: String(maxAttempts) },
    });
  }
  const access = options.readOnly === true ? 'READ ONLY' : 'READ WRITE';
  return { begin: `BEGIN ISOLATION LEVEL ${ISOLATION_SQL[isolation]} ${access}`, maxAttempts };
}
