import type { Task } from '@astra/sdk';
import type { JSX } from 'preact';

/**
 * A goal's task graph as SVG: each task in the column of its depth (the longest chain of
 * dependencies before it), edges from each dependency to its dependant. Nodes carry their
 * status as a class (the colour, styles.css) and as `data-status`; they are buttons that select
 * the task. The same tasks are listed in a table beside it for screen readers.
 */
const NODE_WIDTH = 160;
const NODE_HEIGHT = 44;
const COLUMN_GAP = 60;
const ROW_GAP = 24;

export interface Placed {
  readonly task: Task;
  readonly x: number;
  readonly y: number;
}

export function layout(tasks: readonly Task[]): {
  placed: Map<string, Placed>;
  width: number;
  height: number;
} {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const depth = new Map<string, number>();
  const depthOf = (task: Task, seen: Set<string>): number => {
    const known = depth.get(task.id);
    if (known !== undefined) return known;
    // A cycle cannot be accepted by the kernel; the guard only keeps a bad answer from hanging the page.
    if (seen.has(task.id)) return 0;
    seen.add(task.id);
    let d = 0;
    for (const dep of task.depends_on) {
      const parent = byId.get(dep);
      if (parent !== undefined) d = Math.max(d, depthOf(parent, seen) + 1);
    }
    depth.set(task.id, d);
    return d;
  };
  const columns: Task[][] = [];
  for (const task of [...tasks].sort(
    (a, b) => a.created_at.localeCompare(b.created_at) || a.name.localeCompare(b.name),
  )) {
    const d = depthOf(task, new Set());
    const column = columns[d] ?? [];
    column.push(task);
    columns[d] = column;
  }
  const placed = new Map<string, Placed>();
  for (const [c, column] of columns.entries())
    for (const [r, task] of column.entries())
      placed.set(task.id, {
        task,
        x: 10 + c * (NODE_WIDTH + COLUMN_GAP),
        y: 10 + r * (NODE_HEIGHT + ROW_GAP),
      });
  const rows = Math.max(1, ...columns.map((column) => column.length));
  return {
    placed,
    width: 20 + columns.length * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP,
    height: 20 + rows * (NODE_HEIGHT + ROW_GAP) - ROW_GAP,
  };
}

export function TaskGraph(props: {
  tasks: readonly Task[];
  selected: string | undefined;
  onSelect: (taskId: string) => void;
}): JSX.Element {
  const { placed, width, height } = layout(props.tasks);
  const edges: JSX.Element[] = [];
  for (const node of placed.values())
    for (const dep of node.task.depends_on) {
      const from = placed.get(dep);
      if (from === undefined) continue;
      const x1 = from.x + NODE_WIDTH;
      const y1 = from.y + NODE_HEIGHT / 2;
      const x2 = node.x;
      const y2 = node.y + NODE_HEIGHT / 2;
      const mid = (x1 + x2) / 2;
      edges.push(
        <path
          key={`${dep}-${node.task.id}`}
          class="edge"
          d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
        />,
      );
    }
  return (
    <svg
      class="dag"
      viewBox={`0 0 ${Math.max(width, 200)} ${height}`}
      width={Math.max(width, 200)}
      height={height}
      aria-label="Task graph"
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="6"
          markerHeight="6"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" class="arrow" />
        </marker>
      </defs>
      {edges}
      {[...placed.values()].map(({ task, x, y }) => (
        // biome-ignore lint/a11y/useSemanticElements: an SVG node cannot be a <button>; it has the role, focus and keys of one
        <g
          key={task.id}
          role="button"
          tabIndex={0}
          class={`node s-${task.status}${props.selected === task.id ? ' selected' : ''}`}
          data-task={task.name}
          data-status={task.status}
          aria-label={`${task.name}: ${task.status.replace(/_/g, ' ')}`}
          aria-pressed={props.selected === task.id}
          transform={`translate(${x} ${y})`}
          onClick={() => props.onSelect(task.id)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' || event.key === ' ') {
              event.preventDefault();
              props.onSelect(task.id);
            }
          }}
        >
          <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
          <text x="10" y="18" class="node-name">
            {task.name.length > 20 ? `${task.name.slice(0, 19)}…` : task.name}
          </text>
          <text x="10" y="34" class="node-status">
            {task.type} · {task.status.replace(/_/g, ' ')}
          </text>
        </g>
      ))}
    </svg>
  );
}
