-- The MCP servers Astra calls tools on (services/mcp). One row per server: how to reach it
-- (`connection`: a stdio command with its arguments and environment, or a Streamable HTTP URL with
-- header secrets named, never their values), the defaults its tools' manifests take (`tool_defaults`:
-- risk tier, side effect, wall time, per-tool overrides), and the Astra tool names its last listing
-- registered (`tools`), so a refresh or a removal knows which manifests are the server's.
CREATE TABLE mcp_servers (
  name text PRIMARY KEY CONSTRAINT mcp_servers_name_check CHECK (name ~ '^[a-z][a-z0-9_-]{0,31}$'),
  transport text NOT NULL CONSTRAINT mcp_servers_transport_check CHECK (transport IN ('stdio', 'http')),
  connection jsonb NOT NULL,
  tool_defaults jsonb NOT NULL DEFAULT '{}'::jsonb,
  tools text[] NOT NULL DEFAULT '{}',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  refreshed_at timestamptz
);
