import type { JSX } from 'preact';
import { api } from '../api';
import { useData } from '../hooks';
import { Badge, DataTable, ErrorText, Loading, PageTitle, when } from '../ui';

/** A worker as `GET /workers` lists it (the SDK's `Worker` name is its worker class). */
interface WorkerRow {
  readonly id: string;
  readonly hostname: string;
  readonly status: 'active' | 'draining' | 'offline';
  readonly capabilities: readonly string[];
  readonly concurrency: number;
  readonly last_heartbeat: string;
}

/** The worker registry (`GET /workers?all=true`), for users who may view the platform. */
export function WorkersPage(): JSX.Element {
  const { data, error, loading } = useData(
    () => api<{ workers: WorkerRow[] }>('GET', '/workers?all=true'),
    [],
  );
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Workers" />
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <DataTable
          caption="Workers"
          rows={data.workers}
          rowKey={(worker) => worker.id}
          empty="No workers."
          columns={[
            { title: 'Hostname', cell: (worker) => worker.hostname },
            { title: 'Status', cell: (worker) => <Badge status={worker.status} /> },
            { title: 'Capabilities', cell: (worker) => worker.capabilities.join(', ') || 'any' },
            { title: 'Concurrency', cell: (worker) => worker.concurrency },
            { title: 'Last heartbeat', cell: (worker) => when(worker.last_heartbeat) },
          ]}
        />
      )}
    </section>
  );
}
