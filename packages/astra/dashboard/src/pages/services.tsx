import type { Health, Readiness } from '@astra/sdk';
import type { JSX } from 'preact';
import { useData } from '../hooks';
import { DataTable, ErrorText, Loading, PageTitle } from '../ui';

interface ServicesData {
  readonly health: Health;
  readonly ready: Readiness;
}

/** `/ready` answers 503 with the same body when a check fails: both are a report to show. */
async function loadServices(): Promise<ServicesData> {
  const [health, ready] = await Promise.all([
    fetch('/health').then((answer) => answer.json() as Promise<Health>),
    fetch('/ready').then((answer) => answer.json() as Promise<Readiness>),
  ]);
  return { health, ready };
}

/** This node's dependencies (`GET /ready`): each check's status and how long it took to answer. */
export function ServicesPage(): JSX.Element {
  const { data, error, loading } = useData(loadServices, []);
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Services" />
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <>
          <p>
            Astra {data.health.version} ({data.health.mode}):{' '}
            <span class={`badge s-${data.ready.ready ? 'passed' : 'failed'}`}>
              {data.ready.ready ? 'ready' : 'not ready'}
            </span>
          </p>
          <DataTable
            caption="Services"
            rows={Object.entries(data.ready.checks)}
            rowKey={([name]) => name}
            columns={[
              { title: 'Service', cell: ([name]) => name },
              {
                title: 'Status',
                cell: ([, check]) => (
                  <span class={`badge s-${check.ok ? 'passed' : 'failed'}`}>
                    {check.ok ? 'ok' : 'failing'}
                  </span>
                ),
              },
              { title: 'Latency', cell: ([, check]) => `${check.latency_ms.toFixed(1)} ms` },
              { title: 'Error', cell: ([, check]) => check.error ?? '—' },
            ]}
          />
        </>
      )}
    </section>
  );
}
