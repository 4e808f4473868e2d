import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { decide, normalizeHost } from './grants.js';
import { refusal, sendRefusal } from './refusal.js';
import { type SessionContext, startRecord } from './session-context.js';
import { chooseAddress } from './upstream-address.js';

/**
 * A request in absolute form (`GET http://host/path`, or `https://` when the proxy is to speak TLS
 * itself) or in origin form with a Host header (`curl --unix-socket`): checked against the grants and the address rules, sent upstream by the proxy with the
 * grant's headers injected, and answered with the upstream's response as it streams.
 *
 * Hop-by-hop headers (RFC 9110 §7.6.1: Connection and the headers it names, Keep-Alive,
 * Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade) are not forwarded in either direction.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] ?? '', raw[i + 1] ?? '']);
  const named = new Set(
    pairs
      .filter(([name]) => name.toLowerCase() === 'connection')
      .flatMap(([, value]) => value.split(',').map((token) => token.trim().toLowerCase())),
  );
  return pairs.filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase()) && !named.has(name.toLowerCase()));
}

/**
 * The request's target: an absolute URI, or (origin form, `GET /path` with `Host: api.example.com`,
 * what `curl --unix-socket` sends) `http://<Host><path>`. Either way the grant decides.
 */
function parseTarget(url: string | undefined, host: string | undefined): URL | null {
  const absolute =
    url !== undefined && /^https?:\/\//i.test(url)
      ? url
      : url?.startsWith('/') === true && host !== undefined && host !== ''
        ? `http://${host}${url}`
        : null;
  if (absolute === null) return null;
  try {
    const parsed = new URL(absolute);
    return parsed.username === '' && parsed.password === '' && parsed.hostname !== '' ? parsed : null;
  } catch {
    return null;
  }
}

export async function forwardRequest(
  context: SessionContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET';
  const target = parseTarget(req.url, req.headers.host);
  if (target === null) {
    const finish = startRecord(context, { method, scheme: 'http', host: '', port: 0 });
    const answer = refusal(
      'ASTRA_EGRESS_BAD_REQUEST',
      'the egress proxy takes absolute http:// or https:// URIs, a path with a Host header, or CONNECT host:port',
      { target: (req.url ?? '').slice(0, 200) },
    );
    sendRefusal(res, answer);
    finish({ status: answer.status, outcome: 'denied', code: answer.code, bytesOut: 0, bytesIn: 0 });
    return;
  }
  const host = normalizeHost(target.hostname);
  const scheme = target.protocol === 'https:' ? 'https' : 'http';
  const decision = decide(context.grants, {
    scheme,
    host,
    explicitPort: target.port === '' ? null : Number(target.port),
  });
  const upstreamScheme = decision.allowed ? decision.upstream : scheme;
  const finish = startRecord(context, {
    method,
    scheme: upstreamScheme === 'https' ? 'https' : 'http',
    host,
    port: decision.port,
  });
  const refuse = (answer: ReturnType<typeof refusal>, outcome: 'denied' | 'failed'): void => {
    req.resume();
    sendRefusal(res, answer);
    finish({ status: answer.status, outcome, code: answer.code, bytesOut: 0, bytesIn: 0 });
  };
  const details = { host, port: decision.port, method };
  if (!decision.allowed) return refuse(refusal(decision.code, decision.reason, details), 'denied');
  const choice = await chooseAddress(host, decision.allow, context.resolve);
  if (!choice.ok)
    return refuse(
      refusal(choice.code, choice.reason, details),
      choice.code === 'ASTRA_EGRESS_ADDRESS_DENIED' ? 'denied' : 'failed',
    );
  if (decision.upstream === 'http' && decision.headers.length > 0 && choice.public)
    return refuse(
      refusal(
        'ASTRA_EGRESS_DENIED',
        `${host} takes credentials the proxy adds, and they leave only over TLS: the grant must upgrade it to https`,
        details,
      ),
      'denied',
    );

  const headers: OutgoingHttpHeaders = {};
  const injected = new Set(decision.headers.map(([name]) => name));
  for (const [name, value] of endToEnd(req.rawHeaders)) {
    const key = name.toLowerCase();
    if (key === 'host' || injected.has(key)) continue;
    const previous = headers[key];
    headers[key] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [String(previous)]), value];
  }
  headers.host =
    decision.port === (decision.upstream === 'https' ? 443 : 80)
      ? target.hostname
      : `${target.hostname}:${decision.port}`;
  for (const [name, value] of decision.headers) headers[name] = value;

  const tls = decision.upstream === 'https';
  const options: https.RequestOptions = {
    host: choice.address,
    port: decision.port,
    method,
    path: `${target.pathname}${target.search}`,
    headers,
    agent: tls ? context.agents.https : context.agents.http,
    timeout: context.idleTimeoutMs,
    ...(tls && net.isIP(host) === 0 ? { servername: host } : {}),
    ...(tls && context.ca !== undefined ? { ca: context.ca } : {}),
  };
  let bytesOut = 0;
  let bytesIn = 0;
  const upstream = (tls ? https : http).request(options);
  const untrack = context.track(upstream);
  let timedOut = false;
  upstream.on('timeout', () => {
    timedOut = true;
    upstream.destroy(new Error('upstream timeout'));
  });
  upstream.on('error', (error) => {
    untrack();
    const code = timedOut ? 'ASTRA_EGRESS_UPSTREAM_TIMEOUT' : 'ASTRA_EGRESS_UPSTREAM_FAILED';
    const reason = timedOut
      ? `${host}:${decision.port} did not answer within ${context.idleTimeoutMs} ms`
      : `${host}:${decision.port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`;
    if (res.headersSent) {
      res.destroy();
      finish({ status: res.statusCode, outcome: 'failed', code, bytesOut, bytesIn });
    } else refuse(refusal(code, reason, details), 'failed');
  });
  let upstreamStatus: number | null = null;
  upstream.on('response', (answer) => {
    upstreamStatus = answer.statusCode ?? 502;
    res.writeHead(upstreamStatus, answer.statusMessage, endToEnd(answer.rawHeaders).flat());
    answer.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
    });
    answer.on('end', untrack);
    answer.pipe(res);
  });
  // The sandbox's side ended: complete (allowed), or cut off before the upstream's answer was
  // through (failed; 499 when no answer had begun), which ends the upstream request too.
  res.on('close', () => {
    untrack();
    const complete = res.writableFinished;
    if (!complete) upstream.destroy();
    finish({
      status: upstreamStatus ?? 499,
      outcome: complete ? 'allowed' : 'failed',
      code: null,
      bytesOut,
      bytesIn,
    });
  });
  req.on('data', (chunk: Buffer) => {
    bytesOut += chunk.length;
  });
  req.on('aborted', () => upstream.destroy());
  req.pipe(upstream);
}
