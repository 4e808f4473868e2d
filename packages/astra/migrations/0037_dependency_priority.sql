-- Children readied after their parent's commit go out highest priority first, a chunk at a time
-- (kernel/tasks/sql/ready-children.ts). Each chunk is the next range of this index after the
-- parent's ready_cursor, so it costs its own size, not the parent's number of children: the child's
-- priority is stored on its dependency rows (written with them; a task's priority never changes).
-- Rows already stored get their child's priority from the backfill below; rows a previous release
-- writes later get the default priority (100). A chunk's order is always the rows' own, so each
-- child is still readied exactly once.
ALTER TABLE task_dependencies ADD COLUMN priority integer NOT NULL DEFAULT 100;
UPDATE task_dependencies d SET priority = t.priority FROM tasks t WHERE t.id = d.task_id AND t.priority <> 100;

CREATE INDEX task_dependencies_ready_idx ON task_dependencies (depends_on, priority DESC, task_id);
DROP INDEX task_dependencies_depends_on_idx;
