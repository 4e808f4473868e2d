import type { Agent, Organization } from '@astra/sdk';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { can } from '../access';
import { api } from '../api';
import { useData } from '../hooks';
import { Badge, DataTable, ErrorText, Loading, PageTitle, when } from '../ui';
import { AgentDialog, PlatformDialog } from './agent-dialogs';

interface AgentRow {
  readonly agent: Agent;
  readonly canEdit: boolean;
  readonly canAdmin: boolean;
}

interface AgentsData {
  readonly rows: AgentRow[];
  /** The organization new agents go to, when the user may create agents there. */
  readonly createIn: string | undefined;
}

async function loadAgents(): Promise<AgentsData> {
  const [{ agents }, { orgs }] = await Promise.all([
    api<{ agents: Agent[] }>('GET', '/agents?limit=1000'),
    api<{ orgs: Organization[] }>('GET', '/orgs'),
  ]);
  const rows = await Promise.all(
    agents.map(async (agent) => ({
      agent,
      canEdit: await can('agent.edit', 'agent', agent.id),
      canAdmin: await can('agent.admin', 'agent', agent.id),
    })),
  );
  let createIn: string | undefined;
  for (const org of orgs)
    if (createIn === undefined && (await can('agent.create', 'org', org.id))) createIn = org.id;
  return { rows, createIn };
}

type Open = { kind: 'create' } | { kind: 'edit'; agent: Agent } | { kind: 'platform'; agent: Agent } | null;

export function AgentsPage(): JSX.Element {
  const { data, error, loading, reload } = useData(loadAgents, []);
  const [open, setOpen] = useState<Open>(null);
  const close = (changed: boolean): void => {
    setOpen(null);
    if (changed) reload();
  };
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Agents">
        {data?.createIn === undefined ? null : (
          <button type="button" class="primary" onClick={() => setOpen({ kind: 'create' })}>
            New agent
          </button>
        )}
      </PageTitle>
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <DataTable
          caption="Agents"
          rows={data.rows}
          rowKey={(row) => row.agent.id}
          empty="No agents you may see."
          columns={[
            { title: 'Name', cell: (row) => row.agent.name },
            { title: 'Status', cell: (row) => <Badge status={row.agent.status} /> },
            { title: 'Visibility', cell: (row) => row.agent.visibility },
            { title: 'Tags', cell: (row) => row.agent.tags.join(', ') },
            { title: 'Created', cell: (row) => when(row.agent.created_at) },
            {
              title: 'Actions',
              cell: (row) => (
                <span class="row-actions">
                  {row.canEdit ? (
                    <button type="button" onClick={() => setOpen({ kind: 'edit', agent: row.agent })}>
                      Edit <span class="sr-only">{row.agent.name}</span>
                    </button>
                  ) : null}
                  {row.canAdmin ? (
                    <button type="button" onClick={() => setOpen({ kind: 'platform', agent: row.agent })}>
                      Settings <span class="sr-only">of {row.agent.name}</span>
                    </button>
                  ) : null}
                </span>
              ),
            },
          ]}
        />
      )}
      {open?.kind === 'create' && data?.createIn !== undefined ? (
        <AgentDialog orgId={data.createIn} onClose={close} />
      ) : null}
      {open?.kind === 'edit' ? <AgentDialog agent={open.agent} onClose={close} /> : null}
      {open?.kind === 'platform' ? <PlatformDialog agent={open.agent} onClose={close} /> : null}
    </section>
  );
}
