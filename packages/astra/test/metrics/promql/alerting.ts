import { evaluatePromql, type Labels, signature, type TimedScrape } from './evaluate.js';

/**
 * An alerting rule evaluated over a history of scrapes as Prometheus's rule manager evaluates
 * it, once at each scrape's time (an evaluation interval equal to the scrape interval). State
 * machine, per series of the expression's result (its labels without the metric name):
 *
 * - inactive → pending: the series appears in a result; the alert is active since that
 *   evaluation (`activeAtMs`).
 * - pending → firing: at the first evaluation at least `for:` after `activeAtMs` that still has
 *   the series. With no `for:` (0) an alert fires at the evaluation where it appears.
 * - pending or firing → inactive: an evaluation without the series. A later appearance is a new
 *   alert with a new `activeAtMs`, so a flap restarts `for:`.
 *
 * The value is the series' latest sample. Not modelled: `keep_firing_for` (the rules' reader
 * refuses it), the 15 minutes Prometheus still sends a resolved alert to Alertmanager, `for:`
 * state restored after a restart (`ALERTS_FOR_STATE`), and templated labels and annotations.
 */
export type AlertState = 'inactive' | 'pending' | 'firing';

export interface AlertingRule {
  readonly name: string;
  readonly expr: string;
  /** The rule's `for:` (0 without one). */
  readonly forMs: number;
}

export interface Alert {
  readonly labels: Labels;
  readonly state: Exclude<AlertState, 'inactive'>;
  readonly activeAtMs: number;
  readonly value: number;
}

export interface RuleEvaluation {
  readonly atMs: number;
  /** The pending and firing alerts after this evaluation; a series not here is inactive. */
  readonly alerts: readonly Alert[];
}

/** The rule evaluated at each distinct scrape time of `history`, oldest first. */
export function evaluateAlertingRule(rule: AlertingRule, history: readonly TimedScrape[]): RuleEvaluation[] {
  const times = [...new Set(history.map((scrape) => scrape.atMs))].sort((a, b) => a - b);
  let active = new Map<string, Alert>();
  return times.map((atMs) => {
    const result = evaluatePromql(rule.expr, history, atMs);
    if (typeof result === 'number') throw new Error(`${rule.name}: a scalar is not an alert`);
    const next = new Map<string, Alert>();
    for (const sample of result) {
      const { __name__: _name, ...labels } = sample.labels;
      const key = signature(labels, false);
      // Prometheus fails the evaluation rather than merge two alerts.
      if (next.has(key)) throw new Error(`${rule.name}: two samples with the labels ${key}`);
      const activeAtMs = active.get(key)?.activeAtMs ?? atMs;
      const state = atMs - activeAtMs >= rule.forMs ? 'firing' : 'pending';
      next.set(key, { labels, state, activeAtMs, value: sample.value });
    }
    active = next;
    return { atMs, alerts: [...next.values()] };
  });
}

/** The state of the alert with exactly `labels` after an evaluation. */
export function alertStateOf(evaluation: RuleEvaluation, labels: Labels = {}): AlertState {
  const key = signature(labels, false);
  return evaluation.alerts.find((alert) => signature(alert.labels, false) === key)?.state ?? 'inactive';
}
