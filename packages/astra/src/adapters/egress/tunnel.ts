import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { decide, normalizeHost } from './grants.js';
import { refusal, writeRawRefusal } from './refusal.js';
import { type SessionContext, startRecord } from './session-context.js';
import { chooseAddress } from './upstream-address.js';

/**
 * `CONNECT host:port`: after the same grant and address checks, a byte tunnel to the checked
 * address (TLS end to end between the sandbox and the upstream, which the proxy cannot read, so it
 * injects nothing). The tunnel ends when either side closes or it is idle for `idleTimeoutMs`.
 */
function parseAuthority(authority: string | undefined): { host: string; port: number } | null {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:/@\s[\]]+):(\d{1,5})$/.exec(authority ?? '');
  if (match?.[1] === undefined || match[2] === undefined) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return null;
  try {
    return { host: normalizeHost(new URL(`http://${match[1]}/`).hostname), port };
  } catch {
    return null;
  }
}

export async function openTunnel(
  context: SessionContext,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
): Promise<void> {
  const target = parseAuthority(req.url);
  const finish = startRecord(context, {
    method: 'CONNECT',
    scheme: 'connect',
    host: target?.host ?? '',
    port: target?.port ?? 0,
  });
  const refuse = (answer: ReturnType<typeof refusal>, outcome: 'denied' | 'failed'): void => {
    writeRawRefusal(client, answer);
    finish({ status: answer.status, outcome, code: answer.code, bytesOut: 0, bytesIn: 0 });
  };
  if (target === null)
    return refuse(
      refusal('ASTRA_EGRESS_BAD_REQUEST', 'CONNECT takes host:port', {
        target: (req.url ?? '').slice(0, 200),
      }),
      'denied',
    );
  const { host, port } = target;
  const details = { host, port, method: 'CONNECT' };
  const decision = decide(context.grants, { scheme: 'connect', host, explicitPort: port });
  if (!decision.allowed) return refuse(refusal(decision.code, decision.reason, details), 'denied');
  const choice = await chooseAddress(host, decision.allow, context.resolve);
  if (!choice.ok)
    return refuse(
      refusal(choice.code, choice.reason, details),
      choice.code === 'ASTRA_EGRESS_ADDRESS_DENIED' ? 'denied' : 'failed',
    );

  let bytesOut = head.length;
  let bytesIn = 0;
  let established = false;
  const upstream = net.connect({ host: choice.address, port });
  const untrackUpstream = context.track(upstream);
  const untrackClient = context.track(client);
  const connectTimer = setTimeout(
    () => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
    context.connectTimeoutMs,
  );
  const end = (): void => {
    clearTimeout(connectTimer);
    untrackUpstream();
    untrackClient();
    upstream.destroy();
    client.destroy();
    finish(
      established
        ? { status: 200, outcome: 'allowed', code: null, bytesOut, bytesIn }
        : { status: 499, outcome: 'failed', code: null, bytesOut: 0, bytesIn: 0 },
    );
  };
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (established) return end();
    clearTimeout(connectTimer);
    untrackUpstream();
    untrackClient();
    const timeout = error.code === 'ETIMEDOUT';
    refuse(
      refusal(
        timeout ? 'ASTRA_EGRESS_UPSTREAM_TIMEOUT' : 'ASTRA_EGRESS_UPSTREAM_FAILED',
        timeout
          ? `${host}:${port} did not connect within ${context.connectTimeoutMs} ms`
          : `${host}:${port}: ${error.code ?? error.message}`,
        details,
      ),
      'failed',
    );
  });
  client.on('error', end);
  client.on('close', end);
  upstream.on('close', () => {
    if (established) end();
  });
  upstream.on('connect', () => {
    clearTimeout(connectTimer);
    established = true;
    upstream.setTimeout(context.idleTimeoutMs, end);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    client.on('data', (chunk: Buffer) => {
      bytesOut += chunk.length;
    });
    upstream.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
}
