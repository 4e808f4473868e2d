import { AstraError } from '../../errors/index.js';
import type { BusFields } from '../../ports/bus.js';

/**
 * One attempt's usage as it travels on `astra:usage` (every field a string, as the bus carries
 * them) and as `llm_usage` stores it. The upstream fields (request_id, model, tokens, latency_ms,
 * cost, agent_id, task_id) are kept; absent ids travel as ''.
 */
export interface UsageRecord {
  /** The attempt's id (one per attempt): what makes a redelivered message write once. */
  readonly requestId: string;
  readonly orgId: string;
  readonly agentId: string | null;
  readonly goalId: string | null;
  readonly taskId: string | null;
  readonly purpose: string;
  readonly model: string;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly cachedTokens: number;
  readonly latencyMs: number;
  readonly nanoUsd: number;
  readonly cacheHit: boolean;
  readonly priceVersion: string;
  readonly priced: boolean;
  readonly estimated: boolean;
  /** `ok`, or how the attempt failed. */
  readonly outcome: string;
  /** ISO time the attempt ended. */
  readonly createdAt: string;
}

export function usageFields(record: UsageRecord): BusFields {
  return {
    request_id: record.requestId,
    org_id: record.orgId,
    agent_id: record.agentId ?? '',
    goal_id: record.goalId ?? '',
    task_id: record.taskId ?? '',
    purpose: record.purpose,
    model: record.model,
    tokens_in: String(record.tokensIn),
    tokens_out: String(record.tokensOut),
    cached_tokens: String(record.cachedTokens),
    tokens: String(record.tokensIn + record.tokensOut),
    latency_ms: String(record.latencyMs),
    cost: (record.nanoUsd / 1e9).toFixed(9),
    cost_nano_usd: String(record.nanoUsd),
    cache_hit: String(record.cacheHit),
    price_version: record.priceVersion,
    priced: String(record.priced),
    estimated: String(record.estimated),
    outcome: record.outcome,
    created_at: record.createdAt,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The record a message carries; ASTRA_BUS_INVALID_MESSAGE naming the field when it is malformed. */
export function usageFromFields(fields: BusFields): UsageRecord {
  const bad = (field: string): never => {
    throw new AstraError(
      'ASTRA_BUS_INVALID_MESSAGE',
      `astra:usage message: ${field} is missing or malformed`,
      {
        details: { field },
      },
    );
  };
  const str = (field: string): string => {
    const value = fields[field];
    return typeof value === 'string' && value.length > 0 ? value : bad(field);
  };
  const id = (field: string): string | null => {
    const value = fields[field] ?? '';
    if (value === '') return null;
    return UUID.test(value) ? value : bad(field);
  };
  const count = (field: string): number => {
    const value = Number(fields[field]);
    return Number.isSafeInteger(value) && value >= 0 ? value : bad(field);
  };
  const flag = (field: string): boolean => {
    const value = fields[field];
    return value === 'true' ? true : value === 'false' ? false : bad(field);
  };
  const createdAt = str('created_at');
  if (!Number.isFinite(Date.parse(createdAt))) bad('created_at');
  return {
    requestId: str('request_id'),
    orgId: id('org_id') ?? bad('org_id'),
    agentId: id('agent_id'),
    goalId: id('goal_id'),
    taskId: id('task_id'),
    purpose: str('purpose'),
    model: str('model'),
    tokensIn: count('tokens_in'),
    tokensOut: count('tokens_out'),
    cachedTokens: count('cached_tokens'),
    latencyMs: count('latency_ms'),
    nanoUsd: count('cost_nano_usd'),
    cacheHit: flag('cache_hit'),
    priceVersion: str('price_version'),
    priced: flag('priced'),
    estimated: flag('estimated'),
    outcome: str('outcome'),
    createdAt,
  };
}
