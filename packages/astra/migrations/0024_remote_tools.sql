-- Tools served by remote workers (docs/workers.md, "Tools served by a worker"): a manifest's sandbox
-- may be `remote`, a user's process that registered it, outside Astra's sandboxes.
ALTER TABLE tool_definitions DROP CONSTRAINT tool_definitions_sandbox_check;
ALTER TABLE tool_definitions ADD CONSTRAINT tool_definitions_sandbox_check
  CHECK (sandbox IN ('none', 'quickjs', 'wasi', 'bubblewrap', 'docker', 'browser', 'mcp', 'remote'));
