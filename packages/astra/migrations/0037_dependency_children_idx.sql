-- A parent's children in id order straight from the index: chunked readying (kernel/tasks/sql/
-- ready-children.ts) takes the next children after its cursor as one range of this index, instead of
-- joining every child to its task row and sorting them all for each chunk (a 10,000-child parent
-- cost about 90 ms per chunk of 100 on PGlite, whatever the chunk's size). It also serves every
-- lookup by depends_on alone, so the index it replaces is dropped.
CREATE INDEX task_dependencies_parent_child_idx ON task_dependencies (depends_on, task_id);
DROP INDEX task_dependencies_depends_on_idx;
