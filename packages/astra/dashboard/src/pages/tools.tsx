import type { Tool } from '@astra/sdk';
import type { JSX } from 'preact';
import { api } from '../api';
import { useData } from '../hooks';
import { DataTable, ErrorText, Loading, PageTitle } from '../ui';

/** The tool catalog (`GET /tools`): each tool's newest version, its sandbox, risk and side effects. */
export function ToolsPage(): JSX.Element {
  const { data, error, loading } = useData(() => api<{ tools: Tool[] }>('GET', '/tools'), []);
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Tools" />
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <DataTable
          caption="Tools"
          rows={data.tools}
          rowKey={(tool) => `${tool.name}@${tool.version}`}
          pageSize={20}
          columns={[
            { title: 'Name', cell: (tool) => <code>{tool.name}</code> },
            { title: 'Version', cell: (tool) => tool.version },
            { title: 'Sandbox', cell: (tool) => tool.sandbox },
            {
              title: 'Risk',
              cell: (tool) => <span class={`badge risk-${tool.risk_tier}`}>{tool.risk_tier}</span>,
            },
            { title: 'Side effect', cell: (tool) => tool.side_effect.replace(/_/g, ' ') },
            { title: 'Description', cell: (tool) => tool.description },
          ]}
        />
      )}
    </section>
  );
}
