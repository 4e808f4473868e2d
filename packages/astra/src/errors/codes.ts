/**
 * The error registry: every error Astra raises on purpose carries one of these codes.
 *
 * A code is stable once released: clients match on it. `category` says whose fault it is
 * (user: the request; system: Astra or its datastores; upstream: a provider Astra calls),
 * `retryable` says whether the same request may succeed later unchanged, and `httpStatus`
 * is the one place codes map to HTTP. Every code is documented in docs/errors.md (a test checks).
 */
export type ErrorCategory = 'user' | 'system' | 'upstream';

export interface ErrorSpec {
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly summary: string;
}

function spec(category: ErrorCategory, httpStatus: number, retryable: boolean, summary: string): ErrorSpec {
  return { category, httpStatus, retryable, summary };
}

export const ERROR_CODES = {
  ASTRA_INTERNAL: spec('system', 500, false, 'An unexpected failure inside Astra.'),
  ASTRA_VALIDATION_FAILED: spec('user', 400, false, 'The input does not match the expected shape.'),
  ASTRA_NOT_FOUND: spec('user', 404, false, 'The addressed resource does not exist or is not visible.'),
  ASTRA_UNAUTHENTICATED: spec('user', 401, false, 'No valid credentials were presented.'),
  ASTRA_METHOD_NOT_ALLOWED: spec('user', 405, false, 'The path does not take this method.'),
  ASTRA_CREDENTIAL_NOT_FOUND: spec(
    'user',
    401,
    false,
    'The CLI found no API token in its flags, environment or data directories.',
  ),
  ASTRA_AUTH_TOKEN_EXPIRED: spec(
    'user',
    401,
    false,
    'The access token is genuine but past its expiry: log in again (or refresh it).',
  ),
  ASTRA_FORBIDDEN: spec('user', 403, false, 'The caller may not perform this action.'),
  ASTRA_POLICY_INVALID: spec(
    'user',
    400,
    false,
    'A policy set does not parse or does not validate against the schema.',
  ),
  ASTRA_SHUTTING_DOWN: spec('system', 503, true, 'The process is draining and accepts no new work.'),
  ASTRA_CONFIG_INVALID: spec('user', 400, false, 'A configuration value is missing or malformed.'),
  ASTRA_DATA_DIR_LOCKED: spec(
    'user',
    409,
    true,
    'Another live Astra process holds the embedded data directory; details name its pid and port.',
  ),
  ASTRA_DATA_DIR_UNWRITABLE: spec(
    'user',
    400,
    false,
    'The data directory cannot be created or written (a file in its path, no permission, a read-only file system).',
  ),
  ASTRA_PORT_IN_USE: spec('user', 409, true, 'The HTTP port is taken by another process.'),
  ASTRA_LISTEN_FAILED: spec(
    'user',
    400,
    false,
    'The HTTP server cannot listen on the configured host and port for another reason.',
  ),
  ASTRA_KEY_ENCRYPTION_KEY_MISMATCH: spec(
    'user',
    400,
    false,
    'A stored signing key cannot be decrypted with the configured key-encryption key.',
  ),
  ASTRA_STORE_UNAVAILABLE: spec(
    'system',
    503,
    true,
    'The SQL store could not be reached or dropped the connection.',
  ),
  ASTRA_STORE_CONFLICT: spec(
    'system',
    409,
    true,
    'A transaction kept conflicting (serialization or deadlock) past its retry budget.',
  ),
  ASTRA_STORE_CONSTRAINT_VIOLATION: spec(
    'user',
    409,
    false,
    'A write broke a database constraint (unique, check, foreign key, not null).',
  ),
  ASTRA_STORE_QUERY_FAILED: spec(
    'system',
    500,
    false,
    'The SQL store rejected a statement for another reason.',
  ),
  ASTRA_STORE_CLOSED: spec('system', 503, false, 'The SQL store was used after close().'),
  ASTRA_MIGRATION_FAILED: spec(
    'system',
    500,
    false,
    'A migration file failed to apply; its transaction was rolled back.',
  ),
  ASTRA_MIGRATION_CHECKSUM_MISMATCH: spec(
    'system',
    500,
    false,
    'An applied migration file was edited; migrations are append-only.',
  ),
  ASTRA_MIGRATION_INVALID_NAME: spec(
    'system',
    500,
    false,
    'A migration file name is not NNNN_name.sql or a number repeats.',
  ),
  ASTRA_BUS_UNAVAILABLE: spec(
    'system',
    503,
    true,
    'The message bus could not be reached or dropped the connection.',
  ),
  ASTRA_BUS_CLOSED: spec('system', 503, false, 'The bus was used after close().'),
  ASTRA_BUS_INVALID_MESSAGE: spec('user', 400, false, 'A bus message or stream name is malformed.'),
  ASTRA_BUS_GROUP_MISSING: spec(
    'system',
    503,
    true,
    'The consumer group (or its stream) does not exist: never created, or lost when the server restarted empty.',
  ),
  ASTRA_CACHE_UNAVAILABLE: spec(
    'system',
    503,
    true,
    'A cache server could not be reached or dropped the connection.',
  ),
  ASTRA_CACHE_CLOSED: spec('system', 503, false, 'The cache was used after close().'),
  ASTRA_CACHE_INVALID_KEY: spec(
    'user',
    400,
    false,
    'A cache key is empty, too long or contains whitespace or control characters.',
  ),
  ASTRA_CACHE_VALUE_TOO_LARGE: spec('user', 413, false, 'A cache value exceeds the adapter limit.'),
  ASTRA_ACTOR_MAILBOX_FULL: spec(
    'system',
    429,
    true,
    'The actor mailbox is at capacity; retry after details.retryAfterMs.',
  ),
  ASTRA_ACTOR_NOT_FOUND: spec('user', 404, false, 'No live actor has this id (never spawned, or stopped).'),
  ASTRA_ACTOR_ALREADY_EXISTS: spec('user', 409, false, 'An actor with this id is live or still stopping.'),
  ASTRA_PLAN_INVALID: spec(
    'user',
    400,
    false,
    'A declared plan breaks a rule: unknown task type, duplicate or unknown id, a cycle, a size limit.',
  ),
  ASTRA_TOOL_NOT_FOUND: spec(
    'user',
    404,
    false,
    'A tool task names a tool (or version) that is not registered.',
  ),
  ASTRA_TOOL_NOT_ALLOWED: spec(
    'user',
    403,
    false,
    "The tool is not in the agent's allowed_tools, a policy forbids the call or its approval was denied, or the agent refuses the egress grant the call carries.",
  ),
  ASTRA_TOOL_INPUT_INVALID: spec(
    'user',
    400,
    false,
    "A tool call's input does not match the tool's input schema; `details.issues` holds each JSON Pointer and what is wrong.",
  ),
  ASTRA_TOOL_PATH_INVALID: spec(
    'user',
    400,
    false,
    'A workspace path is absolute, has a .. segment, or leads outside the goal workspace.',
  ),
  ASTRA_TOOL_UNAVAILABLE: spec(
    'system',
    503,
    false,
    'This node cannot run the tool: no runner for it, its sandbox driver is not present here, or its MCP server cannot be reached (a task retries that).',
  ),
  ASTRA_TOOL_FAILED: spec('user', 422, false, 'The tool ran and failed; the message says why.'),
  ASTRA_TOOL_OUTPUT_INVALID: spec(
    'user',
    422,
    false,
    "A tool's result does not match its output schema (`details.issues`, JSON Pointers) or is not JSON.",
  ),
  ASTRA_TOOL_EFFECT_UNCERTAIN: spec(
    'user',
    409,
    false,
    'An irreversible tool call may have acted before its worker died; the approval to run it once more was denied or expired.',
  ),
  ASTRA_TOOL_EGRESS_REFUSED: spec(
    'user',
    403,
    false,
    "The egress proxy refused or could not complete the tool's request; `details.egress_code` holds its ASTRA_EGRESS_* code.",
  ),
  ASTRA_AGENT_DRAINING: spec(
    'system',
    503,
    true,
    'The agent is draining: it finishes its goals and admits no new ones until drain mode is off.',
  ),
  ASTRA_OVERLOADED: spec(
    'system',
    503,
    true,
    'The node has more goal submissions than it can admit now; retry after details.retryAfterMs.',
  ),
  ASTRA_GOAL_LIMIT_REACHED: spec(
    'user',
    429,
    true,
    'The agent already has max_concurrent_goals goals that have not ended.',
  ),
  ASTRA_TOKEN_BUDGET_EXCEEDED: spec(
    'user',
    429,
    true,
    'The agent used its daily_token_budget for today (UTC).',
  ),
  ASTRA_RATE_LIMITED: spec(
    'user',
    429,
    true,
    'Too many requests to this route; retry after details.retryAfterMs.',
  ),
  ASTRA_STATE_CONFLICT: spec(
    'user',
    409,
    false,
    'The resource is in a state that does not allow the action (e.g. cancelling a finished goal).',
  ),
  ASTRA_WORKER_LOST: spec(
    'user',
    409,
    false,
    'The remote worker was declared dead (no heartbeat within the deadline) or stopped; register again.',
  ),
  ASTRA_TASK_LEASE_LOST: spec(
    'user',
    409,
    false,
    'The worker no longer holds this attempt of the task (released, timed out, cancelled or retried elsewhere).',
  ),
  ASTRA_CIRCUIT_OPEN: spec(
    'system',
    503,
    true,
    'A dependency kept failing, so the gateway stops calling it for a while; retry after details.retryAfterMs.',
  ),
  ASTRA_SANDBOX_INVALID_REQUEST: spec(
    'user',
    400,
    false,
    'A sandbox request is malformed: a program of another kind than the driver runs, a limit that is not a positive integer, a file path leaving its directory.',
  ),
  ASTRA_SANDBOX_TIMEOUT: spec(
    'user',
    422,
    false,
    'The sandboxed program ran past its wall-time limit and was stopped.',
  ),
  ASTRA_SANDBOX_CPU_LIMIT: spec(
    'user',
    422,
    false,
    'The sandboxed program used more CPU time than its limit and was stopped.',
  ),
  ASTRA_SANDBOX_MEMORY_LIMIT: spec(
    'user',
    422,
    false,
    'The sandboxed program needed more memory than its limit and was stopped.',
  ),
  ASTRA_SANDBOX_OUTPUT_LIMIT: spec(
    'user',
    422,
    false,
    'The sandboxed program wrote more than its output limit to stdout or stderr and was stopped.',
  ),
  ASTRA_SANDBOX_PROCESS_LIMIT: spec(
    'user',
    422,
    false,
    'The sandboxed program tried to run more processes at once than its limit and was stopped.',
  ),
  ASTRA_SANDBOX_WORKSPACE_LIMIT: spec(
    'user',
    422,
    false,
    "The sandboxed program's workspace held, or the program wrote to it, more than its limit; nothing was copied back.",
  ),
  ASTRA_SANDBOX_EGRESS_REFUSED: spec(
    'user',
    403,
    false,
    'The sandboxed program failed after the egress proxy refused a host its manifest does not allow.',
  ),
  ASTRA_SANDBOX_PROGRAM_ERROR: spec('user', 422, false, 'The sandboxed program threw, trapped or crashed.'),
  ASTRA_SANDBOX_CANCELLED: spec(
    'user',
    409,
    true,
    'The sandboxed run was cancelled before the program finished.',
  ),
  ASTRA_SANDBOX_UNAVAILABLE: spec(
    'system',
    503,
    false,
    'This sandbox driver cannot run here (missing binary, no engine, or closed); the outcome says why.',
  ),
  ASTRA_SANDBOX_FAILED: spec(
    'system',
    500,
    true,
    "The sandbox itself failed to start or to watch the program; not the program's fault.",
  ),
  ASTRA_PAYLOAD_TOO_LARGE: spec('user', 413, false, 'The request body is larger than the configured limit.'),
  ASTRA_HEADERS_TOO_LARGE: spec(
    'user',
    431,
    false,
    'The request headers are larger than the configured limit.',
  ),
  ASTRA_REQUEST_TIMEOUT: spec(
    'user',
    408,
    true,
    'The request headers or body did not arrive within the configured time.',
  ),
  ASTRA_ORIGIN_FORBIDDEN: spec(
    'user',
    403,
    false,
    'A WebSocket upgrade came from a browser origin that is not in the allow-list.',
  ),
  ASTRA_EGRESS_DENIED: spec(
    'user',
    403,
    false,
    "A tool's outbound request names a host or port that the tool's or the task's egress allow-list does not grant.",
  ),
  ASTRA_EGRESS_ADDRESS_DENIED: spec(
    'user',
    403,
    false,
    'An outbound request resolves only to private, loopback, link-local, metadata or reserved addresses the grant does not allow.',
  ),
  ASTRA_EGRESS_PLAIN_HTTP_REQUIRED: spec(
    'user',
    403,
    false,
    'A CONNECT tunnel was asked for a host whose grant injects credentials: send plain http:// to the proxy, which speaks TLS upstream.',
  ),
  ASTRA_EGRESS_BAD_REQUEST: spec(
    'user',
    400,
    false,
    'A request to the egress proxy is not one it takes (credentials in the URI, no target, an unsupported scheme, a malformed CONNECT target).',
  ),
  ASTRA_EGRESS_PROXY_AUTH_REQUIRED: spec(
    'user',
    407,
    false,
    "A request to the egress proxy's TCP listener carries no valid session credential.",
  ),
  ASTRA_EGRESS_UPSTREAM_FAILED: spec(
    'upstream',
    502,
    true,
    'The egress proxy could not reach the upstream host (DNS, connection, TLS) or the connection broke.',
  ),
  ASTRA_EGRESS_UPSTREAM_TIMEOUT: spec(
    'upstream',
    504,
    true,
    'The upstream host did not connect or answer within the egress timeout.',
  ),
  ASTRA_EGRESS_RESPONSE_TOO_LARGE: spec(
    'upstream',
    502,
    false,
    "An upstream response is larger than the egress fetch's response limit.",
  ),
  ASTRA_EGRESS_SESSION_CLOSED: spec('system', 503, false, 'An egress session was used after close().'),
  ASTRA_SECRET_NOT_FOUND: spec(
    'user',
    404,
    false,
    'The secret store has no secret of this name (or not this version, or the version was deleted).',
  ),
  ASTRA_SECRETS_UNAVAILABLE: spec(
    'system',
    503,
    true,
    'The secret store could not be reached or read (Vault down, a secret file unreadable).',
  ),
  ASTRA_SECRETS_FORBIDDEN: spec(
    'system',
    503,
    false,
    "The secret store refused Astra's credentials (Vault answered 403: a wrong, expired or under-privileged token).",
  ),
  ASTRA_ARTIFACT_NOT_FOUND: spec(
    'user',
    404,
    false,
    'No artifact has this URI (never stored, deleted, or past its retention).',
  ),
  ASTRA_ARTIFACT_TOO_LARGE: spec('user', 413, false, "An artifact is larger than the store's limit."),
  ASTRA_ARTIFACTS_UNAVAILABLE: spec(
    'system',
    503,
    true,
    'The artifact store could not be reached or written (S3 down, a disk full or unwritable).',
  ),
  ASTRA_LLM_NO_PROVIDER: spec(
    'user',
    400,
    false,
    'No LLM provider is configured on this node: set OPENAI_API_KEY (and OPENAI_BASE_URL), ANTHROPIC_API_KEY, OLLAMA_HOST, or providers in the config file.',
  ),
  ASTRA_LLM_NO_CAPABLE_MODEL: spec(
    'user',
    422,
    false,
    'No configured model can serve the request (tools, JSON schema output or its context length).',
  ),
  ASTRA_LLM_UNAVAILABLE: spec(
    'upstream',
    503,
    true,
    'Every model the call could use failed or is behind an open circuit; details list the attempts.',
  ),
  ASTRA_LLM_RATE_LIMITED: spec(
    'upstream',
    429,
    true,
    "The providers rate-limited the call (or Astra's own request, token or in-flight limits did); retry after details.retryAfterMs.",
  ),
  ASTRA_LLM_REQUEST_INVALID: spec(
    'user',
    400,
    false,
    "The provider rejected the request as invalid (a 4xx other than 429), or it is over the model's context length.",
  ),
  ASTRA_LLM_AUTH_FAILED: spec(
    'upstream',
    502,
    false,
    "The provider refused Astra's credentials (401/403): check the provider's API key.",
  ),
  ASTRA_LLM_OUTPUT_INVALID: spec(
    'upstream',
    502,
    true,
    "The model's structured answer is not valid JSON under the requested schema (details.issues, JSON Pointers).",
  ),
  ASTRA_LLM_BUDGET_EXCEEDED: spec(
    'user',
    429,
    false,
    'The call would overrun a token or dollar budget (org, agent daily, or goal); nothing was sent to the provider.',
  ),
  ASTRA_LLM_CANCELLED: spec(
    'user',
    409,
    false,
    'The LLM call was cancelled (the task or request was cancelled); usage counted so far was settled.',
  ),
  ASTRA_CHAT_NOT_CAPABLE: spec('user', 409, false, 'The agent is not chat-capable (chat_capable is false).'),
  ASTRA_CHAT_MESSAGE_TOO_LONG: spec(
    'user',
    413,
    false,
    'A chat message is longer than ASTRA_CHAT_MAX_MESSAGE_LENGTH.',
  ),
  ASTRA_CHAT_RATE_LIMITED: spec(
    'user',
    429,
    true,
    'A chat session sent more messages this minute than ASTRA_CHAT_RATE_LIMIT.',
  ),
  ASTRA_CHAT_TOKEN_CAP: spec('user', 409, false, 'A chat session has used its ASTRA_CHAT_TOKEN_CAP tokens.'),
  ASTRA_CHAT_SESSION_CLOSED: spec('user', 409, false, 'The chat session is closed.'),
  ASTRA_CHAT_TURN_IN_PROGRESS: spec('user', 409, true, 'A turn of this chat session is still running.'),
  ASTRA_PLAN_REJECTED: spec(
    'user',
    422,
    false,
    "The planner could not produce a valid plan within its repair attempts; details carry the validator's last errors.",
  ),
  ASTRA_MEMORY_EMBEDDER_FAILED: spec(
    'upstream',
    503,
    true,
    "Semantic memory's embedder failed (provider down, rate-limited, refused the key, timed out); details.kind says how.",
  ),
  ASTRA_PROMPT_VARIABLES_INVALID: spec(
    'user',
    400,
    false,
    'The variables given to a prompt template do not match its variables schema (details.issues).',
  ),
  ASTRA_EVALUATION_INVALID: spec(
    'user',
    400,
    false,
    "A task's or goal's `evaluate` spec breaks its rules (details.path names the field).",
  ),
  ASTRA_EVALUATION_FAILED: spec(
    'user',
    422,
    true,
    "A task's result failed its evaluation; details name the evaluation and the validators that failed.",
  ),
  ASTRA_EVALUATION_UNAVAILABLE: spec(
    'system',
    503,
    true,
    'A validator could not run (no sandbox driver, no LLM provider, the judge failed); the attempt is retried.',
  ),
  ASTRA_EXPERIMENTS_NOT_COMPARABLE: spec(
    'user',
    409,
    false,
    'Two experiments compared do not run over the same dataset.',
  ),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
