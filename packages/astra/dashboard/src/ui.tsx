import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** The small set of parts every page is made of; colours come from styles.css (both themes). */
export function Badge({ status }: { status: string }): JSX.Element {
  return <span class={`badge s-${status}`}>{status.replace(/_/g, ' ')}</span>;
}

export function ErrorText({ error }: { error: Error | undefined }): JSX.Element | null {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

export function Loading({ when }: { when: boolean }): JSX.Element | null {
  return when ? (
    <p class="muted" role="status">
      Loading…
    </p>
  ) : null;
}

export function PageTitle({ title, children }: { title: string; children?: ComponentChildren }): JSX.Element {
  return (
    <div class="page-title">
      <h1 id="page-heading">{title}</h1>
      <div class="actions">{children}</div>
    </div>
  );
}

export interface Column<T> {
  readonly title: string;
  readonly cell: (row: T) => ComponentChildren;
}

/** A table with paging (`pageSize` rows a page) and a caption for screen readers. */
export function DataTable<T>(props: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  pageSize?: number;
  empty?: string;
}): JSX.Element {
  const size = props.pageSize ?? 10;
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(props.rows.length / size));
  const shown = Math.min(page, pages - 1);
  const rows = props.rows.slice(shown * size, shown * size + size);
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col" key={column.title}>
                {column.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="muted">
                {props.empty ?? 'Nothing here yet.'}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={props.rowKey(row)}>
                {props.columns.map((column) => (
                  <td key={column.title}>{column.cell(row)}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
      {pages > 1 ? (
        <nav class="pager" aria-label={`${props.caption} pages`}>
          <button type="button" disabled={shown === 0} onClick={() => setPage(shown - 1)}>
            Previous
          </button>
          <span>
            Page {shown + 1} of {pages}
          </span>
          <button type="button" disabled={shown >= pages - 1} onClick={() => setPage(shown + 1)}>
            Next
          </button>
        </nav>
      ) : null}
    </div>
  );
}

/** A modal dialog (the native <dialog>: focus is kept inside, Escape closes it). */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" onClose={props.onClose}>
      <h2 id="dialog-title">{props.title}</h2>
      {props.children}
    </dialog>
  );
}

export function Json({ value, label }: { value: unknown; label: string }): JSX.Element {
  return (
    <pre class="json" title={label}>
      {value === undefined || value === null ? '—' : JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function StatCard({ label, value }: { label: string; value: number | undefined }): JSX.Element {
  return (
    <div class="card">
      <div class="card-value">{value === undefined ? '—' : value.toLocaleString()}</div>
      <div class="card-label">{label}</div>
    </div>
  );
}

/** Horizontal bars, one per entry, drawn as SVG with the figures written beside them. */
export function BarChart({
  title,
  entries,
}: {
  title: string;
  entries: readonly [string, number][];
}): JSX.Element {
  const max = Math.max(1, ...entries.map(([, value]) => value));
  const row = 22;
  const height = Math.max(row, entries.length * row);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      {entries.length === 0 ? (
        <p class="muted">No data.</p>
      ) : (
        <svg
          viewBox={`0 0 320 ${height}`}
          role="img"
          aria-label={`${title}: ${entries.map(([k, v]) => `${k} ${v}`).join(', ')}`}
        >
          {entries.map(([key, value], i) => (
            <g key={key} transform={`translate(0 ${i * row})`}>
              <text x="0" y="15" class="chart-label">
                {key.replace(/_/g, ' ')}
              </text>
              <rect
                x="110"
                y="4"
                height="14"
                width={Math.max(1, (value / max) * 160)}
                class={`bar s-${key}`}
              />
              <text x={116 + (value / max) * 160} y="15" class="chart-value">
                {value.toLocaleString()}
              </text>
            </g>
          ))}
        </svg>
      )}
    </figure>
  );
}

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
export const short = (id: string): string => id.slice(0, 8);
