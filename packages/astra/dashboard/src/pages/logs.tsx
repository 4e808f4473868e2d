import type { ListRecentLogsResponse } from '@astra/sdk';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useData } from '../hooks';
import { DataTable, ErrorText, Loading, PageTitle, when } from '../ui';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const BADGE: Readonly<Record<string, string>> = { warn: 'pending', error: 'failed', fatal: 'failed' };

/** The gateway's newest log lines (`GET /logs/recent`), for users who may view the platform. */
export function LogsPage(): JSX.Element {
  const [level, setLevel] = useState<(typeof LEVELS)[number]>('info');
  const { data, error, loading } = useData(
    () => api<ListRecentLogsResponse>('GET', `/logs/recent?limit=500&level=${level}`),
    [level],
  );
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Logs">
        <label class="inline">
          Lowest level
          <select value={level} onChange={(e) => setLevel(e.currentTarget.value as (typeof LEVELS)[number])}>
            {LEVELS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </PageTitle>
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <>
          <p class="muted">
            The newest of {data.total.toLocaleString()} lines this gateway logged (it keeps {data.capacity},
            at its log level; credentials are redacted).
          </p>
          <DataTable
            caption="Log lines"
            rows={[...data.lines].reverse()}
            rowKey={(line) => String(line.seq)}
            pageSize={50}
            empty="No lines at this level."
            columns={[
              { title: 'Time', cell: (line) => when(line.time) },
              {
                title: 'Level',
                cell: (line) => <span class={`badge s-${BADGE[line.level] ?? 'idle'}`}>{line.level}</span>,
              },
              { title: 'Component', cell: (line) => line.component ?? '—' },
              { title: 'Message', cell: (line) => <span title={line.text}>{line.msg || line.text}</span> },
            ]}
          />
        </>
      )}
    </section>
  );
}
