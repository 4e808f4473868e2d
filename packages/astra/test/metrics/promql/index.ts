export {
  type Alert,
  type AlertingRule,
  type AlertState,
  alertStateOf,
  evaluateAlertingRule,
  type RuleEvaluation,
} from './alerting.js';
export {
  evaluatePromql,
  type Labels,
  scrapeAt,
  type TimedScrape,
  type VectorSample,
} from './evaluate.js';
export { bucketQuantile, extrapolatedRate } from './functions.js';
export { durationMs, parsePromql } from './parse.js';
