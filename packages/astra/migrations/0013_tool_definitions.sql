-- The tool registry: one row per tool version. Upstream's tool_definitions shape is kept (primary
-- key (name, version), risk_tier, sandbox, description, metadata) and its seed rows with it; the
-- manifest columns (schemas, egress, filesystem, limits, side effect, secrets) are Astra's. A row is
-- never updated: a different manifest is a new version (services/tools/manifest.ts).
CREATE TABLE tool_definitions (
  name text NOT NULL CONSTRAINT tool_definitions_name_check CHECK (name ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
  version text NOT NULL
    CONSTRAINT tool_definitions_version_check CHECK (version ~ '^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}(-[0-9A-Za-z.-]{1,32})?$'),
  risk_tier text NOT NULL
    CONSTRAINT tool_definitions_risk_tier_check CHECK (risk_tier IN ('low', 'medium', 'high', 'critical')),
  sandbox text NOT NULL
    CONSTRAINT tool_definitions_sandbox_check
    CHECK (sandbox IN ('none', 'quickjs', 'wasi', 'bubblewrap', 'docker', 'browser', 'mcp')),
  description text NOT NULL DEFAULT '',
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  input_schema jsonb NOT NULL DEFAULT '{"type": "object"}'::jsonb,
  output_schema jsonb,
  egress jsonb NOT NULL DEFAULT '[]'::jsonb,
  filesystem text NOT NULL DEFAULT 'none'
    CONSTRAINT tool_definitions_filesystem_check CHECK (filesystem IN ('none', 'workspace_read', 'workspace')),
  limits jsonb NOT NULL,
  side_effect text NOT NULL
    CONSTRAINT tool_definitions_side_effect_check
    CHECK (side_effect IN ('read_only', 'idempotent', 'compensatable', 'irreversible')),
  secrets text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

-- Upstream's seed rows (risk tiers as upstream set them), with manifests for Astra's runtime, and
-- the two built-ins upstream lacked (http_request, js_eval).
INSERT INTO tool_definitions
  (name, version, risk_tier, sandbox, description, input_schema, filesystem, limits, side_effect, egress)
VALUES
  ('file_read', '1.0.0', 'low', 'none', 'Read a file of the goal''s workspace.',
   '{"type": "object", "properties": {"path": {"type": "string", "minLength": 1}}, "required": ["path"], "additionalProperties": false}',
   'workspace_read', '{"wall_ms": 10000, "cpu_ms": 10000, "memory_mb": 64, "output_bytes": 1048576}', 'read_only', '[]'),
  ('list_files', '1.0.0', 'low', 'none', 'List the files under a directory of the goal''s workspace.',
   '{"type": "object", "properties": {"path": {"type": "string"}}, "additionalProperties": false}',
   'workspace_read', '{"wall_ms": 10000, "cpu_ms": 10000, "memory_mb": 64, "output_bytes": 1048576}', 'read_only', '[]'),
  ('file_write', '1.0.0', 'medium', 'none', 'Write a file of the goal''s workspace.',
   '{"type": "object", "properties": {"path": {"type": "string", "minLength": 1}, "content": {"type": "string"}}, "required": ["path", "content"], "additionalProperties": false}',
   'workspace', '{"wall_ms": 10000, "cpu_ms": 10000, "memory_mb": 64, "output_bytes": 65536}', 'idempotent', '[]'),
  ('shell_exec', '1.0.0', 'high', 'bubblewrap', 'Run a shell command in a sandbox over the goal''s workspace.',
   '{"type": "object", "properties": {"command": {"type": "string", "minLength": 1}}, "required": ["command"], "additionalProperties": false}',
   'workspace', '{"wall_ms": 180000, "cpu_ms": 180000, "memory_mb": 512, "output_bytes": 1048576}', 'irreversible', '[]'),
  ('code_generate', '1.0.0', 'medium', 'none', 'Generate code files into the goal''s workspace with a language model.',
   '{"type": "object", "properties": {"instructions": {"type": "string", "minLength": 1}}, "required": ["instructions"]}',
   'workspace', '{"wall_ms": 300000, "cpu_ms": 300000, "memory_mb": 256, "output_bytes": 1048576}', 'idempotent', '[]'),
  ('browser:screenshot', '1.0.0', 'medium', 'browser', 'Take a screenshot of a web page (an artifact).',
   '{"type": "object", "properties": {"url": {"type": "string", "minLength": 1}}, "required": ["url"]}',
   'none', '{"wall_ms": 60000, "cpu_ms": 60000, "memory_mb": 1024, "output_bytes": 1048576}', 'read_only', '[]'),
  ('http_request', '1.0.0', 'medium', 'none', 'Make an HTTP request through the egress proxy (no host unless allowed).',
   '{"type": "object", "properties": {"url": {"type": "string", "minLength": 1}, "method": {"type": "string"}, "headers": {"type": "object", "additionalProperties": {"type": "string"}}, "body": {"type": "string"}}, "required": ["url"], "additionalProperties": false}',
   'none', '{"wall_ms": 30000, "cpu_ms": 30000, "memory_mb": 64, "output_bytes": 1048576}', 'irreversible', '[]'),
  ('js_eval', '1.0.0', 'low', 'quickjs', 'Evaluate JavaScript in a QuickJS sandbox; the result is its value.',
   '{"type": "object", "properties": {"code": {"type": "string", "minLength": 1}}, "required": ["code"], "additionalProperties": false}',
   'none', '{"wall_ms": 10000, "cpu_ms": 10000, "memory_mb": 64, "output_bytes": 1048576}', 'read_only', '[]');
