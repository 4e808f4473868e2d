import { AstraApiError } from './errors.js';
import { type EventStreamOptions, type StreamedEvent, streamEvents } from './events.js';
import type {
  Agent,
  Approval,
  ApprovalDetails,
  Goal,
  Graph,
  NewAgent,
  NewGoal,
  SubmittedGoal,
  Task,
  Worker,
} from './resources.js';

export interface ClientOptions {
  /** Base URL of an Astra gateway, e.g. http://127.0.0.1:8080. */
  readonly baseUrl: string;
  /** Bearer token or API key sent on every request except health checks. */
  readonly token?: string;
  /** Per-request timeout; default 10 s. */
  readonly timeoutMs?: number;
  /** A fetch implementation; the global one by default. */
  readonly fetch?: typeof fetch;
}

export interface Health {
  readonly status: 'ok';
  readonly mode: string;
  readonly version: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly error?: string }>>;
}

/** A login's credentials: the access token (15 minutes) and the refresh token that renews it. */
export interface Session {
  readonly token: string;
  readonly expires_at: string;
  readonly refresh_token: string;
  readonly refresh_expires_at: string;
  readonly user: Readonly<Record<string, unknown>> & { readonly id: string; readonly email: string };
}

/** An agent's service token as listed (the token itself is only in the creation answer). */
export interface ServiceToken {
  readonly id: string;
  readonly agent_id: string;
  readonly name: string;
  readonly prefix: string;
  readonly created_by: string | null;
  readonly created_at: string;
  readonly expires_at: string;
  readonly revoked_at: string | null;
  readonly last_used_at: string | null;
}

/**
 * A thin typed client for Astra's public HTTP API. It has no dependencies beyond `fetch`, so it
 * installs without any of the server's packages. Errors answered by the server are AstraApiError.
 */
export class AstraClient {
  readonly #baseUrl: string;
  #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Logs in; the client then sends the new access token. Keep `refresh_token` to renew it. */
  async login(email: string, password: string): Promise<Session> {
    const session = await this.request<Session>('POST', '/login', { body: { email, password }, auth: false });
    this.#token = session.token;
    return session;
  }

  /**
   * Trades a refresh token for a new access token (which the client then sends) and a new refresh
   * token; the one passed in is spent, and presenting it again ends the whole login.
   */
  async refresh(refreshToken: string): Promise<Session> {
    const session = await this.request<Session>('POST', '/auth/refresh', {
      body: { refresh_token: refreshToken },
      auth: false,
    });
    this.#token = session.token;
    return session;
  }

  /** Ends the login the refresh token belongs to. */
  logout(refreshToken: string): Promise<{ logged_out: true }> {
    return this.request('POST', '/logout', { body: { refresh_token: refreshToken }, auth: false });
  }

  /** Mints a token that authenticates as the agent; `token` is in this answer only. */
  createServiceToken(
    agentId: string,
    options: { name?: string; ttl_seconds?: number } = {},
  ): Promise<{ token: string; service_token: ServiceToken }> {
    return this.request('POST', `/agents/${encodeURIComponent(agentId)}/service-tokens`, { body: options });
  }

  listServiceTokens(agentId: string): Promise<{ service_tokens: ServiceToken[] }> {
    return this.request('GET', `/agents/${encodeURIComponent(agentId)}/service-tokens`);
  }

  revokeServiceToken(agentId: string, tokenId: string): Promise<{ id: string; revoked: true }> {
    return this.request(
      'DELETE',
      `/agents/${encodeURIComponent(agentId)}/service-tokens/${encodeURIComponent(tokenId)}`,
    );
  }

  /** As an agent (a client built with its service token): submits a goal to another agent. */
  submitInternalGoal(
    goal: NewGoal & { readonly agent_id: string },
    options: { idempotencyKey?: string } = {},
  ): Promise<SubmittedGoal> {
    return this.request('POST', '/internal/goals', {
      body: goal,
      ...(options.idempotencyKey === undefined
        ? {}
        : { headers: { 'idempotency-key': options.idempotencyKey } }),
    });
  }

  /** Liveness: the gateway process answers. */
  health(): Promise<Health> {
    return this.request<Health>('GET', '/health', { auth: false });
  }

  /** Readiness: every dependency answers. Resolves with the report whether or not it is ready. */
  ready(): Promise<Readiness> {
    return this.request<Readiness>('GET', '/ready', { auth: false, acceptStatuses: [503] });
  }

  createAgent(agent: NewAgent): Promise<{ actor_id: string; agent: Agent }> {
    return this.request('POST', '/agents', { body: agent });
  }

  listAgents(filter: { tag?: string } = {}): Promise<{ agents: Agent[] }> {
    const query = filter.tag === undefined ? '' : `?tag=${encodeURIComponent(filter.tag)}`;
    return this.request('GET', `/agents${query}`);
  }

  getAgent(id: string): Promise<Agent> {
    return this.request('GET', `/agents/${encodeURIComponent(id)}`);
  }

  /** Submits a goal with a declared plan; the same idempotencyKey within 24 h answers the same goal. */
  submitGoal(
    agentId: string,
    goal: NewGoal,
    options: { idempotencyKey?: string } = {},
  ): Promise<SubmittedGoal> {
    return this.request('POST', `/agents/${encodeURIComponent(agentId)}/goals`, {
      body: goal,
      ...(options.idempotencyKey === undefined
        ? {}
        : { headers: { 'idempotency-key': options.idempotencyKey } }),
    });
  }

  getGoal(id: string): Promise<Goal> {
    return this.request('GET', `/goals/${encodeURIComponent(id)}`);
  }

  cancelGoal(id: string): Promise<{ goal_id: string; status: string }> {
    return this.request('POST', `/goals/${encodeURIComponent(id)}/cancel`);
  }

  /** Cancels a graph (its goal): its unfinished tasks and the goals waiting on it. */
  cancelGraph(id: string): Promise<{ graph_id: string; goal_id: string; status: string }> {
    return this.request('POST', `/graphs/${encodeURIComponent(id)}/cancel`);
  }

  getTask(id: string): Promise<Task> {
    return this.request('GET', `/tasks/${encodeURIComponent(id)}`);
  }

  getGraph(id: string): Promise<Graph> {
    return this.request('GET', `/graphs/${encodeURIComponent(id)}`);
  }

  /** Pending approval requests, oldest first. */
  listPendingApprovals(
    filter: { agentId?: string; requestType?: 'plan' | 'risky_task' } = {},
  ): Promise<{ approvals: Approval[] }> {
    const query = new URLSearchParams();
    if (filter.agentId !== undefined) query.set('agent_id', filter.agentId);
    if (filter.requestType !== undefined) query.set('request_type', filter.requestType);
    const text = query.toString();
    return this.request('GET', `/approvals/pending${text === '' ? '' : `?${text}`}`);
  }

  getApproval(id: string): Promise<ApprovalDetails> {
    return this.request('GET', `/approvals/${encodeURIComponent(id)}`);
  }

  /** Votes to approve; the request is approved once enough approvers did. */
  approve(id: string, reason?: string): Promise<Approval> {
    return this.decideApproval(id, 'approve', reason);
  }

  /** Votes to deny: final; the goal or task fails with the reason. */
  deny(id: string, reason?: string): Promise<Approval> {
    return this.decideApproval(id, 'deny', reason);
  }

  decideApproval(id: string, decision: 'approve' | 'deny', reason?: string): Promise<Approval> {
    return this.request('POST', `/approvals/${encodeURIComponent(id)}/decide`, {
      body: { decision, ...(reason === undefined ? {} : { reason }) },
    });
  }

  /** Live events (SSE), optionally of one goal or agent; reconnects by itself, resuming after the last event. */
  events(options: EventStreamOptions = {}): AsyncGenerator<StreamedEvent, void, undefined> {
    return streamEvents({ baseUrl: this.#baseUrl, token: this.#token, fetch: this.#fetch }, options);
  }

  listWorkers(): Promise<{ workers: Worker[] }> {
    return this.request('GET', '/workers');
  }

  async request<T>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      auth?: boolean;
      acceptStatuses?: readonly number[];
      headers?: Readonly<Record<string, string>>;
    } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.auth !== false && this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    const response = await this.#fetch(`${this.#baseUrl}${path}`, init);
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : safeJson(text);
    if (response.ok || options.acceptStatuses?.includes(response.status)) return parsed as T;
    const error = (parsed as { error?: unknown } | undefined)?.error;
    throw new AstraApiError(
      response.status,
      typeof error === 'object' && error !== null ? error : { message: text },
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
