import net from 'node:net';
import { AstraError } from '../../errors/index.js';
import type { EgressAddressClass, EgressGrants, EgressRule } from '../../ports/egress.js';

/**
 * Grants compiled for matching: each layer (the tool's, then the task's) must have a rule for a
 * request's host and port. The rules that match decide the rest: TLS upgrade when any of them asks
 * for it, address classes allowed by every layer, injected headers merged (the task's win).
 */
export const DEFAULT_PORTS: readonly number[] = [80, 443];
const ADDRESS_CLASSES: readonly EgressAddressClass[] = ['loopback', 'private', 'link_local'];
const HOST_LABELS =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOP_BY_HOP = new Set([
  'connection',
  'host',
  'content-length',
  'transfer-encoding',
  'proxy-authorization',
]);

interface CompiledRule {
  readonly exact: string | null;
  readonly suffix: string | null;
  readonly ports: ReadonlySet<number>;
  readonly allow: ReadonlySet<EgressAddressClass>;
  readonly upgradeTls: boolean;
  readonly headers: readonly (readonly [string, string])[];
}

export interface CompiledGrants {
  readonly layers: readonly { readonly name: 'tool' | 'task'; readonly rules: readonly CompiledRule[] }[];
}

export type RequestScheme = 'http' | 'https' | 'connect';

export type GrantDecision =
  | {
      readonly allowed: true;
      /** The scheme the proxy speaks upstream. */
      readonly upstream: 'http' | 'https' | 'tunnel';
      readonly port: number;
      readonly allow: ReadonlySet<EgressAddressClass>;
      readonly headers: readonly (readonly [string, string])[];
    }
  | {
      readonly allowed: false;
      readonly code: 'ASTRA_EGRESS_DENIED' | 'ASTRA_EGRESS_PLAIN_HTTP_REQUIRED';
      readonly reason: string;
      readonly port: number;
    };

/** Host names lowercased without a trailing dot; IP literals in their canonical form, no brackets. */
export function normalizeHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (net.isIPv6(bare)) return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return bare.toLowerCase().replace(/\.$/, '');
}

function invalid(path: string, reason: string): AstraError {
  return new AstraError('ASTRA_VALIDATION_FAILED', `egress grant ${path}: ${reason}`, {
    details: { path, reason },
  });
}

function compileRule(rule: EgressRule, path: string): CompiledRule {
  if (typeof rule.host !== 'string' || rule.host === '') throw invalid(`${path}.host`, 'must name a host');
  const wildcard = rule.host.startsWith('*.');
  const host = normalizeHost(wildcard ? rule.host.slice(2) : rule.host);
  if (!(net.isIP(host) !== 0 && !wildcard) && !HOST_LABELS.test(host))
    throw invalid(`${path}.host`, 'must be a host name, *.suffix or an IP address');
  const ports = rule.ports ?? DEFAULT_PORTS;
  if (ports.length === 0 || !ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535))
    throw invalid(`${path}.ports`, 'must list ports 1-65535');
  for (const cls of rule.allowAddresses ?? [])
    if (!ADDRESS_CLASSES.includes(cls))
      throw invalid(`${path}.allowAddresses`, `must be among ${ADDRESS_CLASSES.join(', ')}`);
  const headers = Object.entries(rule.headers ?? {}).map(([name, value]) => {
    if (!HEADER_NAME.test(name) || HOP_BY_HOP.has(name.toLowerCase()))
      throw invalid(`${path}.headers`, `"${name.slice(0, 64)}" cannot be injected`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value))
      throw invalid(`${path}.headers.${name}`, 'must be a single-line string');
    return [name.toLowerCase(), value] as const;
  });
  return {
    exact: wildcard ? null : host,
    suffix: wildcard ? `.${host}` : null,
    ports: new Set(ports),
    allow: new Set(rule.allowAddresses ?? []),
    upgradeTls: rule.upgradeTls === true,
    headers,
  };
}

/** Validates grants once, when a session opens (ASTRA_VALIDATION_FAILED names the bad field). */
export function compileGrants(grants: EgressGrants): CompiledGrants {
  const layers: { name: 'tool' | 'task'; rules: CompiledRule[] }[] = [];
  if (!Array.isArray(grants?.tool)) throw invalid('tool', 'must be a list of rules');
  layers.push({ name: 'tool', rules: grants.tool.map((rule, i) => compileRule(rule, `tool[${i}]`)) });
  if (grants.task !== undefined) {
    if (!Array.isArray(grants.task)) throw invalid('task', 'must be a list of rules');
    layers.push({ name: 'task', rules: grants.task.map((rule, i) => compileRule(rule, `task[${i}]`)) });
  }
  return { layers };
}

function hostMatches(rule: CompiledRule, host: string): boolean {
  return rule.exact === host || (rule.suffix !== null && host.endsWith(rule.suffix));
}

/**
 * Decides a request: `scheme` is what the sandbox asked for (`http`/`https` absolute URIs, or a
 * CONNECT tunnel), `explicitPort` the port its URL or target named (null for the scheme default).
 */
export function decide(
  grants: CompiledGrants,
  request: { readonly scheme: RequestScheme; readonly host: string; readonly explicitPort: number | null },
): GrantDecision {
  const host = normalizeHost(request.host);
  const byLayer = grants.layers.map((layer) => ({
    name: layer.name,
    rules: layer.rules.filter((rule) => hostMatches(rule, host)),
  }));
  const upgrade = request.scheme === 'http' && byLayer.some((l) => l.rules.some((r) => r.upgradeTls));
  const upstream = request.scheme === 'connect' ? 'tunnel' : upgrade ? 'https' : request.scheme;
  const port = request.explicitPort ?? (upstream === 'http' ? 80 : 443);
  const chosen: CompiledRule[] = [];
  for (const layer of byLayer) {
    if (layer.rules.length === 0)
      return {
        allowed: false,
        code: 'ASTRA_EGRESS_DENIED',
        reason: `${host} is not in the ${layer.name}'s egress allow-list`,
        port,
      };
    const rule = layer.rules.find((r) => r.ports.has(port));
    if (rule === undefined)
      return {
        allowed: false,
        code: 'ASTRA_EGRESS_DENIED',
        reason: `port ${port} of ${host} is not in the ${layer.name}'s egress allow-list`,
        port,
      };
    chosen.push(rule);
  }
  const headers = new Map<string, string>();
  for (const rule of chosen) for (const [name, value] of rule.headers) headers.set(name, value);
  if (upstream === 'tunnel' && headers.size > 0)
    return {
      allowed: false,
      code: 'ASTRA_EGRESS_PLAIN_HTTP_REQUIRED',
      reason: `${host} takes credentials the proxy adds: send http://${host}/… to the proxy (it speaks TLS upstream) instead of a CONNECT tunnel`,
      port,
    };
  const allow = new Set(ADDRESS_CLASSES.filter((cls) => chosen.every((rule) => rule.allow.has(cls))));
  return { allowed: true, upstream, port, allow, headers: [...headers] };
}
