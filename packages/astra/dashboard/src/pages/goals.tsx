import type { Agent, GoalRecord, SubmittedGoal } from '@astra/sdk';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { can } from '../access';
import { api } from '../api';
import { useData } from '../hooks';
import { href, navigate } from '../router';
import { Badge, DataTable, Dialog, ErrorText, Loading, PageTitle, when } from '../ui';

interface GoalsData {
  readonly goals: GoalRecord[];
  readonly agents: Agent[];
  /** The agents the user may submit goals to. */
  readonly usable: Agent[];
}

async function loadGoals(agentId: string): Promise<GoalsData> {
  const [{ goals }, { agents }] = await Promise.all([
    api<{ goals: GoalRecord[] }>('GET', `/goals?limit=1000${agentId === '' ? '' : `&agent_id=${agentId}`}`),
    api<{ agents: Agent[] }>('GET', '/agents?limit=1000'),
  ]);
  const usable: Agent[] = [];
  for (const agent of agents) if (await can('agent.use', 'agent', agent.id)) usable.push(agent);
  return { goals, agents, usable };
}

export function GoalsPage(): JSX.Element {
  const [agentId, setAgentId] = useState('');
  const { data, error, loading } = useData(() => loadGoals(agentId), [agentId]);
  const [creating, setCreating] = useState(false);
  const names = new Map(data?.agents.map((agent) => [agent.id, agent.name]));
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Goals">
        <label class="inline">
          Agent
          <select value={agentId} onChange={(e) => setAgentId(e.currentTarget.value)}>
            <option value="">All agents</option>
            {data?.agents.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
              </option>
            ))}
          </select>
        </label>
        {data !== undefined && data.usable.length > 0 ? (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            New goal
          </button>
        ) : null}
      </PageTitle>
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <DataTable
          caption="Goals"
          rows={data.goals}
          rowKey={(goal) => goal.id}
          empty="No goals you may see."
          columns={[
            {
              title: 'Goal',
              cell: (goal) => <a href={href('goal', goal.id)}>{goal.goal_text.slice(0, 80)}</a>,
            },
            { title: 'Agent', cell: (goal) => names.get(goal.agent_id) ?? goal.agent_id.slice(0, 8) },
            { title: 'Status', cell: (goal) => <Badge status={goal.status} /> },
            { title: 'Created', cell: (goal) => when(goal.created_at) },
            { title: 'Completed', cell: (goal) => when(goal.completed_at) },
          ]}
        />
      )}
      {creating && data !== undefined ? (
        <GoalDialog agents={data.usable} onClose={() => setCreating(false)} />
      ) : null}
    </section>
  );
}

const PLAN_EXAMPLE = '{"tasks": [{"id": "a", "type": "noop"}]}';

/** Submit a goal (`POST /goals`) to an agent the user may use: words, and optionally a declared plan. */
function GoalDialog(props: { agents: Agent[]; onClose: () => void }): JSX.Element {
  const [agentId, setAgentId] = useState(props.agents[0]?.id ?? '');
  const [text, setText] = useState('');
  const [plan, setPlan] = useState('');
  const [approval, setApproval] = useState(false);
  const [problem, setProblem] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (text.trim().length === 0) return setProblem(new Error('Describe the goal.'));
    let parsed: unknown;
    if (plan.trim().length > 0)
      try {
        parsed = JSON.parse(plan);
      } catch {
        return setProblem(new Error('The plan is not valid JSON.'));
      }
    setBusy(true);
    try {
      const goal = await api<SubmittedGoal>('POST', '/goals', {
        agent_id: agentId,
        goal_text: text.trim(),
        ...(parsed === undefined ? {} : { plan: parsed }),
        ...(approval ? { require_approval: true } : {}),
      });
      props.onClose();
      navigate('goal', goal.goal_id);
    } catch (error) {
      setProblem(error as Error);
      setBusy(false);
    }
  };
  return (
    <Dialog title="New goal" onClose={props.onClose}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <label>
          Agent
          <select value={agentId} onChange={(e) => setAgentId(e.currentTarget.value)}>
            {props.agents.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Goal
          <textarea rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <label>
          Plan (JSON, optional: without one the agent's planner writes it)
          <textarea
            rows={6}
            class="mono"
            placeholder={PLAN_EXAMPLE}
            value={plan}
            onInput={(e) => setPlan(e.currentTarget.value)}
          />
        </label>
        <label class="inline">
          <input type="checkbox" checked={approval} onChange={(e) => setApproval(e.currentTarget.checked)} />
          Ask for approval of the plan first
        </label>
        <ErrorText error={problem} />
        <div class="dialog-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Submit
          </button>
        </div>
      </form>
    </Dialog>
  );
}
