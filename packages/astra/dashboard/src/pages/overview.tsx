import type { Agent, Approval, DailyCost, GoalRecord, Readiness } from '@astra/sdk';
import type { JSX } from 'preact';
import { can } from '../access';
import { api } from '../api';
import { useData } from '../hooks';
import { BarChart, ErrorText, Loading, PageTitle, StatCard } from '../ui';

interface Stats {
  readonly goals: Record<string, number>;
  readonly tasks: Record<string, number>;
  readonly agents: Record<string, number>;
  readonly workers: Record<string, number>;
}

interface Overview {
  /** Platform-wide counts (`GET /stats`), for users who may view the platform; else counted from what they see. */
  readonly stats: Partial<Stats>;
  readonly pendingApprovals: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly services: Readiness['checks'];
}

const countBy = <T,>(items: readonly T[], key: (item: T) => string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

async function loadOverview(): Promise<Overview> {
  const [stats, approvals, cost, ready] = await Promise.all([
    can('platform.view', 'platform').then(async (allowed): Promise<Partial<Stats>> => {
      if (allowed) return api<Stats>('GET', '/stats');
      const [goals, agents] = await Promise.all([
        api<{ goals: GoalRecord[] }>('GET', '/goals?limit=1000'),
        api<{ agents: Agent[] }>('GET', '/agents?limit=1000'),
      ]);
      return {
        goals: countBy(goals.goals, (g) => g.status),
        agents: countBy(agents.agents, (a) => a.status),
      };
    }),
    api<{ approvals: Approval[] }>('GET', '/approvals/pending?limit=1000'),
    api<DailyCost>('GET', '/cost/daily?days=30'),
    fetch('/ready').then((answer) => answer.json() as Promise<Readiness>),
  ]);
  return {
    stats,
    pendingApprovals: approvals.approvals.length,
    tokensIn: cost.rows.reduce((sum, row) => sum + row.tokens_in, 0),
    tokensOut: cost.rows.reduce((sum, row) => sum + row.tokens_out, 0),
    services: ready.checks,
  };
}

const entries = (counts: Record<string, number> | undefined): [string, number][] =>
  Object.entries(counts ?? {}).sort(([a], [b]) => a.localeCompare(b));
const total = (counts: Record<string, number> | undefined): number | undefined =>
  counts === undefined ? undefined : Object.values(counts).reduce((sum, n) => sum + n, 0);

export function OverviewPage(): JSX.Element {
  const { data, error, loading } = useData(loadOverview, []);
  const stats = data?.stats;
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Overview" />
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <>
          <div class="cards">
            <StatCard
              label="Active goals"
              value={stats?.goals === undefined ? undefined : (stats.goals.active ?? 0)}
            />
            <StatCard
              label="Completed tasks"
              value={stats?.tasks?.completed ?? (stats?.tasks ? 0 : undefined)}
            />
            <StatCard label="Running tasks" value={stats?.tasks?.running ?? (stats?.tasks ? 0 : undefined)} />
            <StatCard
              label="Failed goals"
              value={stats?.goals === undefined ? undefined : (stats.goals.failed ?? 0)}
            />
            <StatCard
              label="Active workers"
              value={stats?.workers?.active ?? (stats?.workers ? 0 : undefined)}
            />
            <StatCard label="Pending approvals" value={data.pendingApprovals} />
            <StatCard label="Agents" value={total(stats?.agents)} />
            <StatCard label="Tokens in (30 days)" value={data.tokensIn} />
            <StatCard label="Tokens out (30 days)" value={data.tokensOut} />
          </div>
          <div class="charts">
            <BarChart title="Tasks by status" entries={entries(stats?.tasks)} />
            <BarChart title="Goals by status" entries={entries(stats?.goals)} />
            <BarChart title="Agents by status" entries={entries(stats?.agents)} />
            <figure class="chart">
              <figcaption>Services</figcaption>
              <ul class="services">
                {Object.entries(data.services).map(([name, check]) => (
                  <li key={name}>
                    <span class={`badge s-${check.ok ? 'completed' : 'failed'}`}>
                      {check.ok ? 'up' : 'down'}
                    </span>{' '}
                    {name}
                    {check.error === undefined ? '' : ` — ${check.error}`}
                  </li>
                ))}
              </ul>
            </figure>
          </div>
          {stats?.tasks === undefined ? (
            <p class="muted">Task and worker counts are shown to users who may view the platform.</p>
          ) : null}
        </>
      )}
    </section>
  );
}
