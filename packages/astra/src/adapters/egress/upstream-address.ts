import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { EgressAddressClass } from '../../ports/egress.js';
import { classifyAddress } from './address-class.js';

/** Resolves a host name to its addresses on the host side; injectable so tests name their own hosts. */
export type EgressResolver = (host: string) => Promise<readonly string[]>;

export const systemResolver: EgressResolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

export type AddressChoice =
  | { readonly ok: true; readonly address: string; readonly public: boolean }
  | {
      readonly ok: false;
      readonly code: 'ASTRA_EGRESS_ADDRESS_DENIED' | 'ASTRA_EGRESS_UPSTREAM_FAILED';
      readonly reason: string;
    };

/**
 * The address to connect to: the first one the host resolves to whose class is public or allowed.
 * The proxy connects to exactly this address, so a second lookup cannot move the connection.
 */
export async function chooseAddress(
  host: string,
  allow: ReadonlySet<EgressAddressClass>,
  resolve: EgressResolver,
): Promise<AddressChoice> {
  let addresses: readonly string[];
  if (net.isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'failed';
      return {
        ok: false,
        code: 'ASTRA_EGRESS_UPSTREAM_FAILED',
        reason: `${host} does not resolve (${code})`,
      };
    }
  }
  const refused: string[] = [];
  for (const address of addresses) {
    const cls = classifyAddress(address);
    if (cls === 'public') return { ok: true, address, public: true };
    if (cls !== 'metadata' && cls !== 'forbidden' && allow.has(cls))
      return { ok: true, address, public: false };
    refused.push(`${address} (${cls.replace('_', '-')})`);
  }
  if (refused.length === 0)
    return { ok: false, code: 'ASTRA_EGRESS_UPSTREAM_FAILED', reason: `${host} resolves to no address` };
  return {
    ok: false,
    code: 'ASTRA_EGRESS_ADDRESS_DENIED',
    reason: `${host} resolves only to addresses the grant does not allow: ${refused.join(', ')}`,
  };
}
