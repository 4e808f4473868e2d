/**
 * Egress port: the only way a tool run reaches the network.
 *
 * Glossary:
 * - session: one tool call's network access. It is opened by the host for a run with the run's
 *   identity and grants, and closed when the run ends. Everything the proxy logs is attributed to
 *   the session's identity, never to anything the sandbox sends.
 * - listener: a session's Unix socket (one per session, bound into the sandbox), or the node's
 *   shared loopback TCP listener, where a session is known by its credential (`proxyUrl`).
 * - grant: an allow-list layer. A request passes only if every layer given (the tool's manifest,
 *   and the task's narrower list when it has one) has a rule for its host and port.
 * - injection: headers a rule adds to requests for its host (a credential); the sandbox never sees
 *   their values.
 *
 * Rules every implementation keeps (checked by test/egress):
 * - A request is forwarded only when each grant layer has a rule whose host pattern matches (exact,
 *   or `*.suffix` for any subdomain of suffix, not suffix itself) and whose ports list the upstream
 *   port (default 80 and 443).
 * - Names are resolved on the host. Addresses that are private, loopback, link-local or shared
 *   (CGNAT) are refused unless every matching rule allows their class; unspecified, multicast,
 *   reserved and cloud metadata addresses are always refused. The upstream connection goes to the
 *   address that was checked (no second lookup, so DNS rebinding cannot move it).
 * - A refusal is answered with an HTTP status and the JSON body
 *   `{"error": {"code": "ASTRA_EGRESS_…", "message", "retryable", "details"}}` the model can read,
 *   and is logged like any other request.
 * - Every request (allowed, refused or failed) produces exactly one `EgressRecord` in the sink once
 *   it ends. Records carry no path, query, header or body: those may hold secrets.
 * - Injected headers replace any header of the same name the sandbox sent. They are added only on
 *   requests the proxy itself sends (plain-HTTP-to-proxy requests, and `fetch`): a CONNECT tunnel is
 *   end-to-end TLS the proxy cannot read, so CONNECT to a host whose rule injects headers is refused
 *   (ASTRA_EGRESS_PLAIN_HTTP_REQUIRED). Injected credentials travel upstream only over TLS, or to
 *   an address the grant explicitly allows (loopback, private).
 * - After `close`, the session's socket is gone, its tunnels are ended and its credential is refused.
 */

/** Who a session's traffic belongs to, as the host knows it. */
export interface EgressIdentity {
  readonly orgId: string;
  readonly agentId: string;
  readonly taskId: string;
  /** The tool's name (with `@version` when known). */
  readonly tool: string;
}

/** Address classes a rule may open besides public addresses. */
export type EgressAddressClass = 'loopback' | 'private' | 'link_local';

export interface EgressRule {
  /** `api.example.com`, `*.example.com` (subdomains only), or an IP literal (`127.0.0.1`, `::1`). */
  readonly host: string;
  /** Upstream ports allowed; default [80, 443]. */
  readonly ports?: readonly number[];
  /** Non-public address classes this rule may reach; default none. */
  readonly allowAddresses?: readonly EgressAddressClass[];
  /**
   * Plain `http://` requests to this host leave the proxy as HTTPS (to the URL's port, or 443 when it
   * has none), so the sandbox speaks plain HTTP to the proxy and the proxy speaks TLS out.
   */
  readonly upgradeTls?: boolean;
  /** Headers added to every request the proxy sends to this host (values are secrets). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EgressGrants {
  /** The tool manifest's allow-list. */
  readonly tool: readonly EgressRule[];
  /** The task's allow-list: when given, a request must match it too. */
  readonly task?: readonly EgressRule[];
}

export interface EgressSessionOptions {
  readonly identity: EgressIdentity;
  readonly grants: EgressGrants;
}

export type EgressOutcome = 'allowed' | 'denied' | 'failed';

/** One outbound request, as logged. Sizes count body bytes (tunnel bytes for CONNECT). */
export interface EgressRecord extends EgressIdentity {
  readonly sessionId: string;
  /** ISO 8601 time the request reached the proxy. */
  readonly at: string;
  readonly method: string;
  /** `http`, `https` (the proxy spoke TLS), or `connect` (a tunnel). */
  readonly scheme: 'http' | 'https' | 'connect';
  readonly host: string;
  readonly port: number;
  /** The status the sandbox saw: the upstream's, or the proxy's own for refusals and failures. */
  readonly status: number;
  readonly outcome: EgressOutcome;
  /** The ASTRA_EGRESS_* code of a refusal or failure; null when allowed. */
  readonly code: string | null;
  /** Request bytes sent upstream. */
  readonly bytesOut: number;
  /** Response bytes received from upstream. */
  readonly bytesIn: number;
  readonly durationMs: number;
}

/**
 * Where records go. `record` must not block or throw: a persistent sink queues and writes in
 * batches, and reports its own failures.
 */
export interface EgressSink {
  record(entry: EgressRecord): void;
}

export interface EgressFetchRequest {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

export interface EgressFetchResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/**
 * A `fetch` for runtimes without sockets (the QuickJS sandbox's host callback): the same
 * allow-list, address checks, injection and logging as the proxy. `https://` URLs are fetched by
 * the host over TLS, so injection applies to them. Refusals and upstream failures resolve as the
 * proxy's answers do (403/502/504 with the JSON error body), and so does a response over the
 * fetch limit (502 ASTRA_EGRESS_RESPONSE_TOO_LARGE). It rejects only with ASTRA_EGRESS_BAD_REQUEST
 * (a malformed request), ASTRA_EGRESS_SESSION_CLOSED, or ASTRA_EGRESS_UPSTREAM_FAILED when a
 * response breaks off after its status line. An aborted `signal` ends the request and rejects with
 * the signal's reason.
 */
export type EgressFetch = (request: EgressFetchRequest, signal?: AbortSignal) => Promise<EgressFetchResponse>;

/** A refused request: its ASTRA_EGRESS_* code and where it was going. */
export interface EgressRefusal {
  readonly code: string;
  readonly host: string;
  readonly port: number;
}

export interface EgressSession {
  readonly id: string;
  /** Host path of this session's Unix socket: bind it into the sandbox. */
  readonly socketPath: string;
  /** `http://<id>:<token>@127.0.0.1:<port>` on the node's TCP listener, when it has one. */
  readonly proxyUrl: string | null;
  readonly fetch: EgressFetch;
  /** How many of this session's requests were refused so far (records with outcome `denied`). */
  refusals(): number;
  /** The latest of them (a browser sees a refused CONNECT only as a failed tunnel), or null. */
  lastRefusal(): EgressRefusal | null;
  close(): Promise<void>;
}

export interface EgressProxy {
  /** Opens a session; ASTRA_VALIDATION_FAILED for a malformed grant. */
  open(options: EgressSessionOptions): Promise<EgressSession>;
  /** Closes every session and the TCP listener. */
  close(): Promise<void>;
}
