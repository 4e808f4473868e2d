import { describe, expect, it } from 'vitest';
import { compileGrants, decide } from '../../src/adapters/egress/index.js';
import type { EgressGrants } from '../../src/ports/egress.js';

const ask = (
  grants: EgressGrants,
  scheme: 'http' | 'https' | 'connect',
  host: string,
  port: number | null = null,
) => decide(compileGrants(grants), { scheme, host, explicitPort: port });

describe('egress grants', () => {
  it('matches exact hosts case-insensitively and with a trailing dot; *.suffix matches subdomains only', () => {
    const grants = { tool: [{ host: 'API.example.com' }, { host: '*.svc.example.com' }] };
    expect(ask(grants, 'https', 'api.example.com.').allowed).toBe(true);
    expect(ask(grants, 'https', 'a.b.svc.example.com').allowed).toBe(true);
    expect(ask(grants, 'https', 'svc.example.com').allowed).toBe(false);
    expect(ask(grants, 'https', 'evilsvc.example.com').allowed).toBe(false);
    expect(ask(grants, 'https', 'api.example.com.evil.test').allowed).toBe(false);
  });

  it('checks the upstream port: 80 and 443 by default, the listed ones otherwise', () => {
    expect(ask({ tool: [{ host: 'a.com' }] }, 'http', 'a.com')).toMatchObject({ allowed: true, port: 80 });
    expect(ask({ tool: [{ host: 'a.com' }] }, 'connect', 'a.com', 8443).allowed).toBe(false);
    expect(ask({ tool: [{ host: 'a.com', ports: [8443] }] }, 'connect', 'a.com', 8443).allowed).toBe(true);
  });

  it('upgrades http to https on 443 when a matching rule says so', () => {
    const grants = { tool: [{ host: 'a.com', ports: [443], upgradeTls: true }] };
    expect(ask(grants, 'http', 'a.com')).toMatchObject({ allowed: true, upstream: 'https', port: 443 });
    expect(ask(grants, 'http', 'a.com', 8080).allowed).toBe(false);
  });

  it('normalizes IPv6 literals', () => {
    expect(ask({ tool: [{ host: '[0:0::1]', allowAddresses: ['loopback'] }] }, 'http', '::1').allowed).toBe(
      true,
    );
  });

  it('allows an address class only when every layer allows it, and merges injected headers', () => {
    const decision = ask(
      {
        tool: [
          {
            host: 'a.com',
            allowAddresses: ['loopback', 'private'],
            headers: { 'X-Key': 'one', 'X-Tool': 't' },
          },
        ],
        task: [{ host: 'a.com', allowAddresses: ['private'], headers: { 'x-key': 'two' } }],
      },
      'https',
      'a.com',
    );
    expect(decision.allowed && [...decision.allow]).toEqual(['private']);
    expect(decision.allowed && Object.fromEntries(decision.headers)).toEqual({
      'x-key': 'two',
      'x-tool': 't',
    });
  });

  it('refuses everything with an empty allow-list', () => {
    expect(ask({ tool: [] }, 'https', 'a.com')).toMatchObject({
      allowed: false,
      code: 'ASTRA_EGRESS_DENIED',
    });
  });
});
