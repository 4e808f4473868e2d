import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server speaking the parts of Vault's API the Vault secret store uses, with Vault's
 * JSON shapes: KV v2 reads (`<mount>/data/<path>[?version=N]`: `data.data`, `data.metadata`),
 * metadata and `?list=true` listings, soft-deleted and destroyed versions (404 with metadata),
 * 403 `{"errors":["permission denied"]}` for unknown tokens or a wrong namespace, 404
 * `{"errors":[]}`, and token lookup-self / renew-self with TTLs.
 */
export interface VaultVersion {
  readonly data: Record<string, unknown>;
  deleted?: boolean;
  destroyed?: boolean;
}

export interface VaultToken {
  ttl: number;
  renewable: boolean;
  /** Each renewal grants this TTL (seconds), as Vault grants up to the token's max TTL. */
  renewTtl?: number;
}

export interface FakeVault {
  readonly address: string;
  readonly tokens: Map<string, VaultToken>;
  /** `<mount>/<path>` → versions (index 0 is version 1). */
  readonly kv: Map<string, VaultVersion[]>;
  readonly requests: { method: string; url: string; namespace: string | undefined; body: string }[];
  /** Makes every request fail with this status (503 is what a sealed Vault answers); null to stop. */
  failWith: number | null;
  /** Resolves once `count` renewals have succeeded in all. */
  whenRenewed(count: number): Promise<void>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): undefined {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const created = '2026-01-01T00:00:00.000000Z';

function metadataOf(version: VaultVersion, number: number) {
  return {
    created_time: created,
    custom_metadata: null,
    deletion_time: version.deleted === true ? '2026-01-02T00:00:00.000000Z' : '',
    destroyed: version.destroyed === true,
    version: number,
  };
}

export async function startFakeVault(
  options: { namespace?: string; mount?: string } = {},
): Promise<FakeVault> {
  const mount = options.mount ?? 'secret';
  let renewals = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const vault: Omit<FakeVault, 'address' | 'close'> = {
    tokens: new Map(),
    kv: new Map(),
    requests: [],
    failWith: null,
    whenRenewed: (count) =>
      renewals >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
  };
  const envelope = (data: unknown, extra: Record<string, unknown> = {}) => ({
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    ...extra,
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: string): undefined {
    const namespace = req.headers['x-vault-namespace'] as string | undefined;
    vault.requests.push({ method: req.method ?? '', url: req.url ?? '', namespace, body });
    if (vault.failWith !== null) return send(res, vault.failWith, { errors: ['Vault is sealed'] });
    const url = new URL(req.url ?? '/', 'http://vault');
    const token = vault.tokens.get(String(req.headers['x-vault-token'] ?? ''));
    if (token === undefined || namespace !== options.namespace)
      return send(res, 403, { errors: ['permission denied'] });
    const route = url.pathname.replace(/^\/v1\//, '');
    if (route === 'auth/token/lookup-self' && req.method === 'GET')
      return send(res, 200, envelope({ ttl: token.ttl, renewable: token.renewable, policies: ['default'] }));
    if (route === 'auth/token/renew-self' && req.method === 'POST') {
      if (!token.renewable) return send(res, 400, { errors: ['lease is not renewable'] });
      token.ttl = token.renewTtl ?? token.ttl;
      renewals += 1;
      for (const waiter of waiters.filter((w) => renewals >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return send(
        res,
        200,
        envelope(null, {
          auth: {
            client_token: String(req.headers['x-vault-token']),
            policies: ['default'],
            lease_duration: token.ttl,
            renewable: token.renewable,
          },
        }),
      );
    }
    const data = new RegExp(`^${mount}/data/(.+)$`).exec(route);
    if (data?.[1] !== undefined && req.method === 'GET') {
      const versions = vault.kv.get(`${mount}/${data[1]}`);
      if (versions === undefined) return send(res, 404, { errors: [] });
      const asked = url.searchParams.get('version');
      const number = asked === null || asked === '0' ? versions.length : Number(asked);
      const version = versions[number - 1];
      if (version === undefined) return send(res, 404, { errors: [] });
      const meta = metadataOf(version, number);
      if (version.deleted === true || version.destroyed === true)
        return send(res, 404, envelope({ data: null, metadata: meta }));
      return send(res, 200, envelope({ data: version.data, metadata: meta }));
    }
    const metadata = new RegExp(`^${mount}/metadata/(.*)$`).exec(route);
    if (metadata?.[1] !== undefined && req.method === 'GET') {
      if (url.searchParams.get('list') === 'true') {
        const folder = `${mount}/${metadata[1].replace(/\/$/, '')}/`;
        const keys = new Set<string>();
        for (const key of vault.kv.keys())
          if (key.startsWith(folder)) {
            const rest = key.slice(folder.length);
            keys.add(rest.includes('/') ? `${rest.split('/')[0]}/` : rest);
          }
        if (keys.size === 0) return send(res, 404, { errors: [] });
        return send(res, 200, envelope({ keys: [...keys].sort() }));
      }
      const versions = vault.kv.get(`${mount}/${metadata[1]}`);
      if (versions === undefined) return send(res, 404, { errors: [] });
      return send(
        res,
        200,
        envelope({
          current_version: versions.length,
          oldest_version: 0,
          max_versions: 0,
          created_time: created,
          updated_time: created,
          versions: Object.fromEntries(versions.map((v, i) => [String(i + 1), metadataOf(v, i + 1)])),
        }),
      );
    }
    send(res, 404, { errors: [] });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(vault, {
    address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  }) as FakeVault;
}
