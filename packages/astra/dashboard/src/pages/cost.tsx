import type { Agent, DailyCost } from '@astra/sdk';
import type { JSX } from 'preact';
import { api } from '../api';
import { useData } from '../hooks';
import { BarChart, DataTable, ErrorText, Loading, PageTitle } from '../ui';

interface CostData {
  readonly cost: DailyCost;
  readonly names: Map<string, string>;
}

const dollars = (value: number): string => `$${value.toFixed(4)}`;

/** LLM spend of the last 30 days (`GET /cost/daily`): by day as a chart, by agent and model as a table. */
export function CostPage(): JSX.Element {
  const { data, error, loading } = useData(async (): Promise<CostData> => {
    const [cost, { agents }] = await Promise.all([
      api<DailyCost>('GET', '/cost/daily?days=30'),
      api<{ agents: Agent[] }>('GET', '/agents?limit=1000'),
    ]);
    return { cost, names: new Map(agents.map((agent) => [agent.id, agent.name])) };
  }, []);
  const byDay = new Map<string, number>();
  const byAgentModel = new Map<
    string,
    { agent: string; model: string; tokensIn: number; tokensOut: number; cost: number }
  >();
  for (const row of data?.cost.rows ?? []) {
    byDay.set(row.day, (byDay.get(row.day) ?? 0) + row.cost_dollars);
    const agent = row.agent_id === null ? '—' : (data?.names.get(row.agent_id) ?? row.agent_id.slice(0, 8));
    const key = `${agent}|${row.model}`;
    const sum = byAgentModel.get(key) ?? { agent, model: row.model, tokensIn: 0, tokensOut: 0, cost: 0 };
    byAgentModel.set(key, {
      ...sum,
      tokensIn: sum.tokensIn + row.tokens_in,
      tokensOut: sum.tokensOut + row.tokens_out,
      cost: sum.cost + row.cost_dollars,
    });
  }
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Cost" />
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <>
          <BarChart
            title="Dollars by day (last 30 days)"
            entries={[...byDay.entries()]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([day, cost]) => [day, Math.round(cost * 10000) / 10000])}
          />
          <DataTable
            caption="Cost by agent and model"
            rows={[...byAgentModel.values()]}
            rowKey={(row) => `${row.agent}|${row.model}`}
            empty="No LLM calls in the last 30 days."
            columns={[
              { title: 'Agent', cell: (row) => row.agent },
              { title: 'Model', cell: (row) => row.model },
              { title: 'Tokens in', cell: (row) => row.tokensIn.toLocaleString() },
              { title: 'Tokens out', cell: (row) => row.tokensOut.toLocaleString() },
              { title: 'Cost', cell: (row) => dollars(row.cost) },
            ]}
          />
        </>
      )}
    </section>
  );
}
