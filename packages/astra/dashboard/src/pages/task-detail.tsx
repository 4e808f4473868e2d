import type { Evaluation, StreamedEvent, Task, TaskArtifact } from '@astra/sdk';
import type { JSX } from 'preact';
import { api, authorized } from '../api';
import { useData } from '../hooks';
import { Badge, ErrorText, Json, when } from '../ui';

async function download(artifact: TaskArtifact): Promise<void> {
  const answer = await authorized(`/artifacts/${artifact.sha256}`);
  if (!answer.ok) return;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await answer.blob());
  link.download = artifact.uri.split('/').pop() ?? artifact.sha256;
  link.click();
  URL.revokeObjectURL(link.href);
}

/** A task as the API has it now (read again when its status changes): payload, result, its events, evaluations, artifacts. */
export function TaskDetail({ task, events }: { task: Task; events: readonly StreamedEvent[] }): JSX.Element {
  const fresh = useData(() => api<Task>('GET', `/tasks/${task.id}`), [task.id, task.status]);
  const artifacts = useData(
    () => api<{ artifacts: TaskArtifact[] }>('GET', `/tasks/${task.id}/artifacts`),
    [task.id, task.status],
  );
  const evaluations = useData(
    () => api<{ evaluations: Evaluation[] }>('GET', `/tasks/${task.id}/evaluations`),
    [task.id, task.status],
  );
  const shown = fresh.data ?? task;
  return (
    <section class="panel" aria-labelledby="task-heading">
      <h2 id="task-heading">
        Task {shown.name} <Badge status={shown.status} />
      </h2>
      <ErrorText error={fresh.error} />
      <dl class="facts">
        <dt>Type</dt>
        <dd>{shown.type}</dd>
        <dt>Attempt</dt>
        <dd>
          {shown.attempt} (retries {shown.retries} of {shown.max_retries})
        </dd>
        <dt>Started</dt>
        <dd>{when(shown.started_at)}</dd>
        <dt>Completed</dt>
        <dd>{when(shown.completed_at)}</dd>
        {shown.error === null ? null : (
          <>
            <dt>Error</dt>
            <dd>{shown.error}</dd>
          </>
        )}
      </dl>
      <div class="two">
        <div>
          <h3>Payload</h3>
          <Json value={shown.payload} label="Payload" />
        </div>
        <div>
          <h3>Result</h3>
          <Json value={shown.result} label="Result" />
        </div>
      </div>
      <h3>Log (events since this page opened)</h3>
      {events.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <ol class="log">
          {events.map((event) => (
            <li key={event.id}>
              <time>{when(event.created_at)}</time> {event.type}
            </li>
          ))}
        </ol>
      )}
      <h3>Evaluations</h3>
      {evaluations.data === undefined || evaluations.data.evaluations.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul class="evaluations">
          {evaluations.data.evaluations.map((evaluation) => (
            <li key={evaluation.id}>
              Attempt {evaluation.attempt}: <Badge status={evaluation.passed ? 'passed' : 'failed'} /> score{' '}
              {evaluation.score}, {evaluation.action.replace(/_/g, ' ')}
              <ul>
                {evaluation.results.map((result) => (
                  <li key={result.name}>
                    {result.name}: {result.pass ? 'pass' : 'fail'}
                    {result.reason.length === 0 ? '' : ` (${result.reason})`}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      <h3>Artifacts</h3>
      {artifacts.data === undefined || artifacts.data.artifacts.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul>
          {artifacts.data.artifacts.map((artifact) => (
            <li key={artifact.sha256}>
              <button type="button" onClick={() => void download(artifact)}>
                Download {artifact.uri.split('/').pop()}
              </button>{' '}
              {artifact.media_type}, {artifact.size_bytes.toLocaleString()} bytes
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
