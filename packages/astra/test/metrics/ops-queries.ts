import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AlertingRule, durationMs } from './promql/index.js';

/**
 * The PromQL of the operations files — `expr` of every rule in ops/prometheus/alerts.yml (one
 * line each, as that file's header asks) and of every Grafana panel target in ops/grafana/*.json —
 * and the metric names they query; and the alert rules whole, with their `for:` (`alertRules`). The reader checks each expression's brackets and that it names
 * at least one metric, so a typo'd or empty expression fails rather than checking nothing.
 */
const OPS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../ops');

export interface OpsQuery {
  readonly file: string;
  /** The alert's name or the panel's title. */
  readonly where: string;
  readonly expr: string;
}

export async function opsQueries(): Promise<OpsQuery[]> {
  const queries: OpsQuery[] = (await alertRules()).map((rule) => ({
    file: 'prometheus/alerts.yml',
    where: rule.name,
    expr: rule.expr,
  }));
  const dashboards = (await readdir(path.join(OPS, 'grafana'))).filter((name) => name.endsWith('.json'));
  for (const name of dashboards) {
    const dashboard = JSON.parse(await readFile(path.join(OPS, 'grafana', name), 'utf8')) as {
      panels?: { title?: string; targets?: { expr?: string }[] }[];
    };
    for (const panel of dashboard.panels ?? [])
      for (const target of panel.targets ?? [])
        if (typeof target.expr === 'string')
          queries.push({ file: `grafana/${name}`, where: panel.title ?? '?', expr: target.expr });
  }
  return queries;
}

/** The alerting rules of ops/prometheus/alerts.yml, with their `for:`. */
export async function alertRules(): Promise<AlertingRule[]> {
  return parseAlertRules(await readFile(path.join(OPS, 'prometheus/alerts.yml'), 'utf8'));
}

/**
 * The rules of an alerts file, line by line (the file's layout: `- alert:` opens a rule, its
 * `expr:` on one line). Refuses a rule without an expression and `keep_firing_for`, which the
 * tests' rule evaluator does not model.
 */
export function parseAlertRules(text: string): AlertingRule[] {
  const rules: { name: string; expr?: string; forMs: number }[] = [];
  for (const line of text.split('\n')) {
    const named = /^\s*- alert:\s*(\S+)\s*$/.exec(line);
    if (named !== null) {
      rules.push({ name: named[1] as string, forMs: 0 });
      continue;
    }
    const field = /^\s*(expr|for|keep_firing_for):\s*(.+)$/.exec(line);
    const rule = rules.at(-1);
    if (field === null || rule === undefined) continue;
    const key = field[1];
    const value = (field[2] as string).trim();
    if (key === 'keep_firing_for')
      throw new Error(
        `alerts.yml ${rule.name}: keep_firing_for is not evaluated by the tests' rule evaluator`,
      );
    if (key === 'for') rule.forMs = durationMs(value);
    else if (value === '|' || value === '>' || value.startsWith('|-') || value.startsWith('>-'))
      throw new Error(`alerts.yml ${rule.name}: write the expression on the expr line itself`);
    else rule.expr = value;
  }
  return rules.map(({ name, expr, forMs }) => {
    if (expr === undefined) throw new Error(`alerts.yml ${name}: no expr`);
    return { name, expr, forMs };
  });
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** The metric names one PromQL expression selects. Throws on unbalanced brackets or no metric. */
export function metricNamesOf(expr: string): string[] {
  let depth = 0;
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const char of expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if ('([{'.includes(char)) stack.push(char);
    else if (char in pairs && stack.pop() !== pairs[char]) throw new Error(`unbalanced ${char} in: ${expr}`);
    depth = stack.length;
  }
  if (depth !== 0) throw new Error(`unclosed bracket in: ${expr}`);
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\boffset\s+\S+/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const after = bare.slice((match.index ?? 0) + name.length).trimStart();
    const before = bare.slice(0, match.index ?? 0);
    if (after.startsWith('(') || KEYWORDS.has(name) || /[0-9.]e?$/i.test(before)) continue;
    names.add(name);
  }
  if (names.size === 0) throw new Error(`no metric in: ${expr}`);
  return [...names];
}

/** Every metric name the operations files query. */
export async function opsMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const query of await opsQueries()) {
    try {
      for (const name of metricNamesOf(query.expr)) names.add(name);
    } catch (error) {
      throw new Error(`${query.file} (${query.where}): ${(error as Error).message}`);
    }
  }
  return names;
}
