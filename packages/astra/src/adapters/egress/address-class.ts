import net from 'node:net';

/**
 * What kind of address an upstream IP is, for the egress address check.
 *
 * `public` passes; `loopback`, `private` (RFC 1918, unique-local, shared CGNAT space) and
 * `link_local` pass only where a rule allows the class; `metadata` (cloud instance metadata
 * endpoints) and `forbidden` (unspecified, multicast, broadcast, documentation and reserved ranges)
 * never pass. IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are classed by it.
 */
export type AddressClass = 'public' | 'loopback' | 'private' | 'link_local' | 'metadata' | 'forbidden';

const RANGES: Readonly<Record<Exclude<AddressClass, 'public'>, readonly string[]>> = {
  metadata: ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32', 'fd00:ec2::254/128'],
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fec0::/10'],
  link_local: ['169.254.0.0/16', 'fe80::/10'],
  forbidden: [
    '0.0.0.0/8',
    '192.0.0.0/24',
    '192.0.2.0/24',
    '198.18.0.0/15',
    '198.51.100.0/24',
    '203.0.113.0/24',
    '224.0.0.0/4',
    '240.0.0.0/4',
    '::/128',
    '100::/64',
    '2001:db8::/32',
    'ff00::/8',
  ],
};

// Checked in this order: metadata sits inside link-local and shared space, so it is tested first.
const ORDER = ['metadata', 'loopback', 'private', 'link_local', 'forbidden'] as const;

const LISTS = ORDER.map((name) => {
  const list = new net.BlockList();
  for (const range of RANGES[name]) {
    const [address = '', prefix = ''] = range.split('/');
    list.addSubnet(address, Number(prefix), net.isIPv6(address) ? 'ipv6' : 'ipv4');
  }
  return [name, list] as const;
});

export function classifyAddress(address: string): AddressClass {
  const family = net.isIP(address);
  if (family === 0) return 'forbidden';
  if (family === 6) {
    const embedded = embeddedIpv4(address);
    if (embedded !== null) return classifyAddress(embedded);
  }
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const [name, list] of LISTS) if (list.check(address, type)) return name;
  return 'public';
}

/** The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
function embeddedIpv4(address: string): string | null {
  const words = expandIpv6(address);
  if (words === null) return null;
  const v4 = (high: number, low: number): string => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  const zeros = (from: number, to: number): boolean => words.slice(from, to).every((w) => w === 0);
  if (zeros(0, 5) && words[5] === 0xffff) return v4(words[6] ?? 0, words[7] ?? 0);
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return v4(words[6] ?? 0, words[7] ?? 0);
  if (words[0] === 0x2002) return v4(words[1] ?? 0, words[2] ?? 0);
  // IPv4-compatible (::a.b.c.d, deprecated): classed by its IPv4 part, except :: and ::1.
  if (zeros(0, 6) && ((words[6] ?? 0) !== 0 || (words[7] ?? 0) > 1)) return v4(words[6] ?? 0, words[7] ?? 0);
  return null;
}

/** Eight 16-bit words of an IPv6 address, or null when it is not one. */
function expandIpv6(address: string): number[] | null {
  let text = address.toLowerCase().split('%')[0] ?? '';
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    const bytes = dotted[1].split('.').map(Number);
    const [a = 0, b = 0, c = 0, d = 0] = bytes;
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((w) => Number.parseInt(w, 16));
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const words = [...head, ...new Array<number>(Math.max(0, fill)).fill(0), ...tail];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)
    ? words
    : null;
}
