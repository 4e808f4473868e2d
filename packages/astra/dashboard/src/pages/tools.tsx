import type { Tool } from '@astra/sdk';
import type { JSX } from 'preact';
import { api } from '../api';
import { useData } from '../hooks';
import { DataTable, ErrorText, Loading, PageTitle } from '../ui';

/** What each sandbox kind isolates a tool with (docs/sandboxes.md). */
const SANDBOXES: Readonly<Record<Tool['sandbox'], string>> = {
  none: 'Runs in the executor itself (built-in tools)',
  quickjs: 'QuickJS in WebAssembly on a warm pool of worker threads, a fresh instance per run',
  wasi: 'A worker thread per run, two preopened directories, memory capped in the module',
  bubblewrap: 'New user, pid, ipc, uts, net and cgroup namespaces, a per-run cgroup, rlimits',
  docker: 'A container per run: no network, read-only root file system, limits',
  browser: 'Headless Chromium, a fresh context per call, every request through the egress proxy',
  mcp: "The MCP server's own process: no Astra sandbox",
  remote: 'A remote worker that serves the tool',
};

/** The tool catalog (`GET /tools`): each tool's newest version, its sandbox, risk and side effects; then the sandboxes in use. */
export function ToolsPage(): JSX.Element {
  const { data, error, loading } = useData(() => api<{ tools: Tool[] }>('GET', '/tools'), []);
  const bySandbox = new Map<Tool['sandbox'], string[]>();
  for (const tool of data?.tools ?? [])
    bySandbox.set(tool.sandbox, [...(bySandbox.get(tool.sandbox) ?? []), tool.name]);
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Tools" />
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <>
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
          <h2>Sandboxes</h2>
          <DataTable
            caption="Sandboxes"
            rows={[...bySandbox.entries()]}
            rowKey={([sandbox]) => sandbox}
            empty="No tools registered."
            columns={[
              { title: 'Sandbox', cell: ([sandbox]) => <code>{sandbox}</code> },
              { title: 'Isolation', cell: ([sandbox]) => SANDBOXES[sandbox] },
              { title: 'Tools', cell: ([, names]) => `${names.length}: ${names.join(', ')}` },
            ]}
          />
        </>
      )}
    </section>
  );
}
