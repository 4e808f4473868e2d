import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { AstraError } from '../../errors/index.js';
import type {
  EgressIdentity,
  EgressProxy,
  EgressSession,
  EgressSessionOptions,
  EgressSink,
} from '../../ports/egress.js';
import { type Clock, systemClock } from '../../time/clock.js';
import { classifyAddress } from './address-class.js';
import { EGRESS_DEFAULTS } from './egress-defaults.js';
import { createSocketFetch } from './fetch.js';
import { forwardRequest } from './forward.js';
import { compileGrants } from './grants.js';
import { PROXY_CHALLENGE, type Refusal, refusal, sendRefusal, writeRawRefusal } from './refusal.js';
import type { SessionContext } from './session-context.js';
import { openTunnel } from './tunnel.js';
import { type EgressResolver, systemResolver } from './upstream-address.js';

/**
 * The node's egress proxy: an HTTP forward proxy (absolute-URI requests and CONNECT).
 *
 * Each session gets its own listener, a Unix socket `<socketDir>/<id>.sock` (0600 in a 0700 dir):
 * whatever connects there is that session, so no header the sandbox sends decides whose traffic
 * it is. The optional loopback TCP listener is shared by every session; there a request names its
 * session with `Proxy-Authorization: Basic <id>:<token>` (the session's `proxyUrl`), checked in
 * constant time, and one without a live credential is answered 407 and belongs to no session.
 */

export interface EgressProxyOptions {
  /** Where session sockets are created (made 0700); keep it short: a socket path has 107 bytes at most. */
  readonly socketDir: string;
  readonly sink: EgressSink;
  /** A loopback TCP listener beside the sockets (`port: 0` picks one). */
  readonly tcp?: { readonly host?: string; readonly port?: number };
  readonly resolve?: EgressResolver;
  readonly clock?: Clock;
  /** Certificate authorities trusted for upstream TLS besides the system's (PEM). */
  readonly ca?: string;
  readonly connectTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly maxFetchResponseBytes?: number;
  readonly maxConnectionsPerSession?: number;
  readonly socketMode?: number;
}

interface LiveSession {
  readonly context: SessionContext;
  readonly tokenDigest: Buffer;
  close(): Promise<void>;
}

const SOCKET_PATH_MAX = 107;
const ID_BYTES = 9;

function configInvalid(reason: string): AstraError {
  return new AstraError('ASTRA_CONFIG_INVALID', `egress proxy: ${reason}`, { details: { reason } });
}

function listen(server: http.Server, target: string | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (typeof target === 'string') server.listen(target, done);
    else server.listen(target.port, target.host, done);
  });
}

function serve(server: http.Server, contextOf: (req: IncomingMessage) => SessionContext | Refusal): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const context = contextOf(req);
    if ('status' in context) {
      req.resume();
      if (context.status === 407) res.setHeader('proxy-authenticate', PROXY_CHALLENGE);
      sendRefusal(res, context);
      return;
    }
    forwardRequest(context, req, res).catch(() => res.destroy());
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const context = contextOf(req);
    if ('status' in context) {
      writeRawRefusal(socket, context);
      return;
    }
    openTunnel(context, req, socket, head).catch(() => socket.destroy());
  });
}

function validIdentity(identity: EgressIdentity): EgressIdentity {
  for (const key of ['orgId', 'agentId', 'taskId', 'tool'] as const)
    if (typeof identity?.[key] !== 'string' || identity[key] === '')
      throw new AstraError('ASTRA_VALIDATION_FAILED', `egress session: identity.${key} must be a string`, {
        details: { path: `identity.${key}` },
      });
  return {
    orgId: identity.orgId,
    agentId: identity.agentId,
    taskId: identity.taskId,
    tool: identity.tool,
  };
}

export async function createEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const settings = { ...EGRESS_DEFAULTS, ...options };
  const socketDir = path.resolve(options.socketDir);
  if (Buffer.byteLength(path.join(socketDir, `${'x'.repeat(12)}.sock`)) > SOCKET_PATH_MAX)
    throw configInvalid(
      `socket dir ${socketDir} is too long for a Unix socket path (${SOCKET_PATH_MAX} bytes)`,
    );
  for (const key of [
    'connectTimeoutMs',
    'idleTimeoutMs',
    'maxFetchResponseBytes',
    'maxConnectionsPerSession',
  ] as const)
    if (!Number.isInteger(settings[key]) || settings[key] <= 0)
      throw configInvalid(`${key} must be a positive integer`);
  await mkdir(socketDir, { recursive: true, mode: 0o700 });
  await chmod(socketDir, 0o700);

  const sessions = new Map<string, LiveSession>();
  let closed = false;
  let tcp: { server: http.Server; host: string; port: number } | null = null;
  if (options.tcp !== undefined) {
    const host = options.tcp.host ?? '127.0.0.1';
    if (classifyAddress(host) !== 'loopback')
      throw configInvalid(`the TCP listener must be on loopback, not ${host}`);
    const server = http.createServer();
    serve(server, (req) => authenticate(req.headers['proxy-authorization']));
    await listen(server, { host, port: options.tcp.port ?? 0 });
    const address = server.address();
    tcp = { server, host, port: typeof address === 'object' && address !== null ? address.port : 0 };
  }

  const proxyAuthRequired = refusal(
    'ASTRA_EGRESS_PROXY_AUTH_REQUIRED',
    "this listener takes a session's credential (its proxyUrl)",
    {},
  );
  function authenticate(header: string | undefined): SessionContext | Refusal {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
    const decoded = match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const session = colon < 0 ? undefined : sessions.get(decoded.slice(0, colon));
    if (session === undefined) return proxyAuthRequired;
    const digest = createHash('sha256')
      .update(decoded.slice(colon + 1))
      .digest();
    return timingSafeEqual(digest, session.tokenDigest) ? session.context : proxyAuthRequired;
  }

  async function open(sessionOptions: EgressSessionOptions): Promise<EgressSession> {
    if (closed) throw new AstraError('ASTRA_EGRESS_SESSION_CLOSED', 'the egress proxy is closed');
    const identity = validIdentity(sessionOptions?.identity);
    const grants = compileGrants(sessionOptions?.grants);
    const id = randomBytes(ID_BYTES).toString('base64url');
    const token = randomBytes(24).toString('base64url');
    const socketPath = path.join(socketDir, `${id}.sock`);
    const resources = new Set<{ destroy(): void }>();
    const agents = {
      http: new http.Agent({ keepAlive: true }),
      https: new https.Agent({ keepAlive: true }),
    };
    const fetchAgent = new http.Agent({ keepAlive: true });
    const context: SessionContext = {
      id,
      identity,
      grants,
      resolve: settings.resolve ?? systemResolver,
      clock: settings.clock ?? systemClock,
      sink: settings.sink,
      connectTimeoutMs: settings.connectTimeoutMs,
      idleTimeoutMs: settings.idleTimeoutMs,
      ca: settings.ca,
      agents,
      track: (resource) => {
        resources.add(resource);
        return () => void resources.delete(resource);
      },
      stats: { refusals: 0, last: null },
    };
    const server = http.createServer();
    server.maxConnections = settings.maxConnectionsPerSession;
    server.on('connection', (socket) => {
      resources.add(socket);
      socket.on('close', () => resources.delete(socket));
    });
    serve(server, () => context);
    await rm(socketPath, { force: true });
    await listen(server, socketPath);
    await chmod(socketPath, settings.socketMode);
    let sessionClosed = false;
    let closing: Promise<void> | null = null;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        sessionClosed = true;
        sessions.delete(id);
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const resource of resources) resource.destroy();
        agents.http.destroy();
        agents.https.destroy();
        fetchAgent.destroy();
        await stopped;
        await rm(socketPath, { force: true });
      })();
      return closing;
    };
    sessions.set(id, { context, tokenDigest: createHash('sha256').update(token).digest(), close });
    return {
      id,
      socketPath,
      proxyUrl:
        tcp === null
          ? null
          : `http://${id}:${token}@${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${tcp.port}`,
      fetch: createSocketFetch({
        socketPath,
        agent: fetchAgent,
        maxResponseBytes: settings.maxFetchResponseBytes,
        isClosed: () => sessionClosed,
      }),
      refusals: () => context.stats.refusals,
      lastRefusal: () => context.stats.last,
      close,
    };
  }

  return {
    open,
    async close() {
      closed = true;
      await Promise.all([...sessions.values()].map((session) => session.close()));
      if (tcp !== null) {
        const server = tcp.server;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
    },
  };
}
