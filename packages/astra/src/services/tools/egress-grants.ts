import { z } from 'zod';
import type { JsonValue } from '../../kernel/index.js';
import type { EgressAddressClass, EgressRule as ProxyRule } from '../../ports/egress.js';
import { ToolCallError } from './tool-errors.js';

/**
 * Which hosts one tool call may reach through the egress proxy. Nothing is reachable unless one of
 * three sources names it:
 * - the tool's manifest (`egress: [{host, port}]`), reviewed when the tool was registered;
 * - the agent's `config.egress_allow`, set by the agent's administrators;
 * - the task's own `payload.egress`, part of the plan (and so of its approval, when the plan waits
 *   for one) — unless the agent's `config.egress_task_grants` is `false`, which refuses such tasks.
 * The call's allow-list is their union. Agent and task grants are `[{host, ports?, allow_addresses?}]`:
 * `host` as in a manifest (exact, `*.suffix`, or an IP literal); `ports` default [80, 443];
 * `allow_addresses` opens non-public address classes (`loopback`, `private`, `link_local`) for a
 * name. A rule naming an IP literal opens that address whatever its class (naming the address is
 * the grant); cloud metadata and reserved addresses stay refused by the proxy whatever is granted.
 *
 * Credentials: a manifest may inject a required secret as a header on requests to one of its own
 * hosts (`metadata.egress_inject: [{host, header, secret, prefix?}]`); only the manifest's rules carry
 * headers, so an agent or task grant never receives a credential.
 */
const ADDRESS_CLASSES = ['loopback', 'private', 'link_local'] as const;
const ALL_CLASSES: readonly EgressAddressClass[] = ADDRESS_CLASSES;

/** A host as grants name it: a DNS name (its first label may be `*`) or an IP literal. */
const GRANT_HOST =
  /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^\[?[0-9a-f:.]+\]?$/i;
const IP_LITERAL = /^\[?[0-9a-f:]*:[0-9a-f:.]*\]?$|^\d{1,3}(?:\.\d{1,3}){3}$/i;

export const EgressGrant = z
  .object({
    host: z.string().max(253).regex(GRANT_HOST, 'a host name, *.suffix or an IP address'),
    ports: z.array(z.number().int().min(1).max(65_535)).min(1).max(32).optional(),
    allow_addresses: z.array(z.enum(ADDRESS_CLASSES)).max(3).optional(),
  })
  .strict();
export const EgressGrantList = z.array(EgressGrant).max(100);
export type EgressGrant = z.output<typeof EgressGrant>;

export const EgressInjection = z
  .object({
    host: z.string().max(253),
    header: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name'),
    secret: z.string(),
    prefix: z
      .string()
      .max(64)
      .regex(/^[^\r\n\0]*$/, 'no line breaks')
      .optional(),
  })
  .strict();
export const EgressInjectionList = z.array(EgressInjection).max(32);

/** What of a manifest the grants read (a structural type: manifest.ts imports this file). */
interface ManifestEgress {
  readonly name: string;
  readonly version: string;
  readonly egress: readonly { readonly host: string; readonly port: number }[];
  readonly secrets: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** The first problem of a grant list as `[path, reason]`; null when it is a valid one. */
export function grantListProblem(value: unknown): { path: string; reason: string } | null {
  const parsed = EgressGrantList.safeParse(value);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? [])
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('');
  return { path, reason: issue?.message ?? 'is not a list of {host, ports?, allow_addresses?}' };
}

/** The manifest's injections, checked against its own secrets and hosts (registration uses this). */
export function injectionsProblem(
  manifest: Pick<ManifestEgress, 'metadata' | 'secrets' | 'egress'>,
): string | null {
  const given = manifest.metadata.egress_inject;
  if (given === undefined) return null;
  const parsed = EgressInjectionList.safeParse(given);
  if (!parsed.success) return `metadata.egress_inject: ${parsed.error.issues[0]?.message ?? 'malformed'}`;
  for (const [index, injection] of parsed.data.entries()) {
    if (!manifest.secrets.includes(injection.secret))
      return `metadata.egress_inject[${index}].secret names ${injection.secret}, which is not in secrets`;
    if (!manifest.egress.some((rule) => rule.host === injection.host.toLowerCase()))
      return `metadata.egress_inject[${index}].host ${injection.host} is not one of the manifest's egress hosts`;
  }
  return null;
}

const isIpLiteral = (host: string): boolean => IP_LITERAL.test(host);

function grantRule(grant: EgressGrant): ProxyRule {
  const allow = isIpLiteral(grant.host) ? ALL_CLASSES : (grant.allow_addresses ?? []);
  return {
    host: grant.host.toLowerCase(),
    ...(grant.ports === undefined ? {} : { ports: grant.ports }),
    ...(allow.length === 0 ? {} : { allowAddresses: allow }),
  };
}

export interface CallGrantSources {
  readonly manifest: Omit<ManifestEgress, 'secrets'>;
  /** The agent's `config` (null: the agent is gone). */
  readonly agentConfig: Readonly<Record<string, unknown>> | null;
  /** The task's payload (its `egress` field, if any). */
  readonly payload: JsonValue;
  /** Secret values by name, for the manifest's injections. */
  readonly secretValues: ReadonlyMap<string, string>;
}

export interface CallGrants {
  /** One proxy layer: the union of the three sources. Empty: no network. */
  readonly rules: readonly ProxyRule[];
  /** The header values injected (for the run's redactor). */
  readonly injected: readonly { readonly name: string; readonly value: string }[];
}

/** The call's allow-list; ASTRA_TOOL_NOT_ALLOWED for an agent or task grant that is malformed or refused. */
export function callGrants(sources: CallGrantSources): CallGrants {
  const tool = `${sources.manifest.name}@${sources.manifest.version}`;
  const config = sources.agentConfig ?? {};
  const agentGrants = config.egress_allow ?? [];
  const agentProblem = grantListProblem(agentGrants);
  if (agentProblem !== null)
    throw new ToolCallError(
      'ASTRA_TOOL_NOT_ALLOWED',
      `the agent's config.egress_allow${agentProblem.path} ${agentProblem.reason}`,
      { tool, field: `config.egress_allow${agentProblem.path}` },
    );
  const payload = sources.payload;
  const taskGrants =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload) && payload.egress !== undefined
      ? payload.egress
      : [];
  const taskProblem = grantListProblem(taskGrants);
  if (taskProblem !== null)
    throw new ToolCallError(
      'ASTRA_TOOL_NOT_ALLOWED',
      `the task's egress${taskProblem.path} ${taskProblem.reason}`,
      {
        tool,
        field: `payload.egress${taskProblem.path}`,
      },
    );
  const fromTask = EgressGrantList.parse(taskGrants);
  if (fromTask.length > 0 && config.egress_task_grants === false)
    throw new ToolCallError(
      'ASTRA_TOOL_NOT_ALLOWED',
      "this agent does not let a task grant itself hosts (config.egress_task_grants is false); ask for the host in the agent's config.egress_allow",
      { tool, field: 'payload.egress' },
    );

  const injections = EgressInjectionList.safeParse(sources.manifest.metadata.egress_inject ?? []);
  const injected: { name: string; value: string }[] = [];
  const headersFor = (host: string): Record<string, string> => {
    const headers: Record<string, string> = {};
    for (const injection of injections.success ? injections.data : []) {
      if (injection.host.toLowerCase() !== host) continue;
      const secret = sources.secretValues.get(injection.secret);
      if (secret === undefined) continue;
      const value = `${injection.prefix ?? ''}${secret}`;
      headers[injection.header.toLowerCase()] = value;
      injected.push({ name: injection.secret, value });
    }
    return headers;
  };
  const manifestRules = sources.manifest.egress.map((rule): ProxyRule => {
    const headers = headersFor(rule.host);
    return {
      host: rule.host,
      ports: [rule.port],
      ...(isIpLiteral(rule.host) ? { allowAddresses: ALL_CLASSES } : {}),
      ...(Object.keys(headers).length === 0 ? {} : { headers }),
    };
  });
  return {
    rules: [
      ...manifestRules,
      ...EgressGrantList.parse(agentGrants).map(grantRule),
      ...fromTask.map(grantRule),
    ],
    injected,
  };
}
