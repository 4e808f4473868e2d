import type { GoalRecord, StreamedEvent, Task, TaskStatus } from '@astra/sdk';
import type { JSX } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { openEventStream } from '../events';
import { Shell } from '../hooks';
import { href } from '../router';
import { Badge, ErrorText, Loading, PageTitle, short, when } from '../ui';
import { TaskGraph } from './dag';
import { TaskDetail } from './task-detail';

/** The status an event leaves its task in; other task events make the page read the task again. */
const STATUS_AFTER: Readonly<Record<string, TaskStatus>> = {
  TaskQueued: 'queued',
  TaskStarted: 'running',
  TaskCompleted: 'completed',
  TaskDeadLettered: 'dead_letter',
  TaskCancelled: 'cancelled',
  TaskAwaitingApproval: 'waiting_approval',
};

/**
 * One goal: its record, its task graph kept live by the event stream (`/events/stream?goal_id=`,
 * no polling), the events seen since the page opened, and the selected task's detail. The
 * snapshot is read once the stream is open, so no event falls between the two; events that
 * arrive before the snapshot make the page read their task again.
 */
export function GoalPage({ id }: { id?: string }): JSX.Element {
  const shell = useContext(Shell);
  const [goal, setGoal] = useState<GoalRecord | undefined>();
  const [tasks, setTasks] = useState<ReadonlyMap<string, Task> | undefined>();
  const [events, setEvents] = useState<readonly StreamedEvent[]>([]);
  const [stream, setStream] = useState<'connecting' | 'live' | 'retrying'>('connecting');
  const [error, setError] = useState<Error | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const current = useRef<Map<string, Task> | undefined>(undefined);

  useEffect(() => {
    if (id === undefined) return;
    const abort = new AbortController();
    const early = new Set<string>();
    const show = (): void => setTasks(current.current === undefined ? undefined : new Map(current.current));
    const readTask = async (taskId: string): Promise<void> => {
      const task = await api<Task>('GET', `/tasks/${taskId}`);
      current.current?.set(task.id, task);
      show();
    };
    const readAll = async (): Promise<void> => {
      const details = await api<{ goal: GoalRecord; tasks: Task[] }>('GET', `/goals/${id}/details`);
      setGoal(details.goal);
      current.current = new Map(details.tasks.map((task) => [task.id, task]));
      show();
      shell.loaded();
      for (const taskId of early) void readTask(taskId).catch(setError);
      early.clear();
    };
    const onEvent = (event: StreamedEvent): void => {
      setEvents((before) => [...before.slice(-499), event]);
      if (event.type === 'GraphExtended' || event.type === 'GraphCreated') void readAll().catch(setError);
      else if (event.type.startsWith('Goal') || event.type.startsWith('Graph'))
        void api<GoalRecord>('GET', `/goals/${id}`).then(setGoal, setError);
      if (event.task_id === null) return;
      const tasksNow = current.current;
      if (tasksNow === undefined) {
        early.add(event.task_id);
        return;
      }
      const task = tasksNow.get(event.task_id);
      const status = STATUS_AFTER[event.type];
      if (task === undefined || status === undefined) return void readTask(event.task_id).catch(setError);
      tasksNow.set(task.id, { ...task, status });
      show();
    };
    openEventStream(
      `goal_id=${id}`,
      { onEvent, onOpen: () => void readAll().catch(setError), onState: setStream },
      abort.signal,
    );
    return () => abort.abort();
  }, [id, shell.refreshKey]);

  if (id === undefined) return <p>No goal named.</p>;
  const list = tasks === undefined ? [] : [...tasks.values()];
  const chosen = selected === undefined ? undefined : tasks?.get(selected);
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title={`Goal ${short(id)}`}>
        <span class={`live live-${stream}`} role="status">
          {stream === 'live' ? 'Live' : stream === 'retrying' ? 'Reconnecting…' : 'Connecting…'}
        </span>
      </PageTitle>
      <ErrorText error={error} />
      <Loading when={goal === undefined && error === undefined} />
      {goal === undefined ? null : (
        <dl class="facts">
          <dt>Goal</dt>
          <dd>{goal.goal_text}</dd>
          <dt>Status</dt>
          <dd>
            <Badge status={goal.status} />
            {goal.status === 'pending_approval' ? (
              <>
                {' '}
                <a href={href('approvals')}>Waiting for approval</a>
              </>
            ) : null}
          </dd>
          <dt>Created</dt>
          <dd>{when(goal.created_at)}</dd>
          <dt>Completed</dt>
          <dd>{when(goal.completed_at)}</dd>
          {goal.error === null ? null : (
            <>
              <dt>Error</dt>
              <dd>{goal.error}</dd>
            </>
          )}
        </dl>
      )}
      <h2>Tasks</h2>
      {list.length === 0 ? (
        <p class="muted">
          No tasks yet{goal?.status === 'pending_approval' ? ': the plan waits for approval' : ''}.
        </p>
      ) : (
        <div class="dag-wrap">
          <TaskGraph tasks={list} selected={selected} onSelect={setSelected} />
        </div>
      )}
      {chosen === undefined ? null : (
        <TaskDetail task={chosen} events={events.filter((event) => event.task_id === chosen.id)} />
      )}
    </section>
  );
}
