/**
 * The cost service's public surface (docs/cost.md): the vendored price table, the usage flow
 * (`astra:usage` → `llm_usage`), the budgets' ledger with its attempt interceptor and sweep, and
 * the agent's daily token count goal admission reads. Other services import this file only.
 */
export { recordTokenUsage, tokensUsedToday } from './agent-usage.js';
export { type BudgetInterceptorOptions, budgetInterceptor, budgetLines } from './budget-interceptor.js';
export {
  type BudgetAmount,
  type BudgetCounter,
  type BudgetKey,
  BudgetLedger,
  type BudgetLedgerOptions,
  type BudgetLimit,
  type BudgetLine,
  type BudgetScopeKind,
  budgetCounterRow,
  budgetReservationRow,
  type Reservation,
  readCounters,
  utcDay,
} from './budget-ledger.js';
export {
  agentBudgetLimits,
  type BudgetLimits,
  type BudgetSettings,
  NO_LIMIT,
  type ScopeLimits,
} from './budget-limits.js';
export { type BudgetSweeper, startBudgetSweep } from './budget-sweep.js';
export { COST_DEFAULTS } from './cost-defaults.js';
export {
  createPriceTable,
  type ModelPrice,
  type Price,
  type PriceTable,
  type PriceTableOptions,
  type PriceVersion,
  VENDORED_PRICES,
} from './price-table.js';
export { startUsageConsumer, type UsageConsumerOptions } from './usage-consumer.js';
export { type UsageInterceptorOptions, usageInterceptor } from './usage-interceptor.js';
export { type UsageRecord, usageFields, usageFromFields } from './usage-record.js';
export { readDailyCost, readGoalUsage, usageRow, writeUsage } from './usage-store.js';
