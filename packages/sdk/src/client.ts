import { AstraApiError } from './errors.js';
import type { Agent, Goal, Graph, NewAgent, NewGoal, SubmittedGoal, Task, Worker } from './resources.js';

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

/**
 * A thin typed client for Astra's public HTTP API. It has no dependencies beyond `fetch`, so it
 * installs without any of the server's packages. Errors answered by the server are AstraApiError.
 */
export class AstraClient {
  readonly #baseUrl: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? fetch;
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

  getTask(id: string): Promise<Task> {
    return this.request('GET', `/tasks/${encodeURIComponent(id)}`);
  }

  getGraph(id: string): Promise<Graph> {
    return this.request('GET', `/graphs/${encodeURIComponent(id)}`);
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
