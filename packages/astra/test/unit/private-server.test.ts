import { afterAll, describe, expect, it } from 'vitest';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { probeTcp } from '../support/probe.js';

const kinds = [
  { kind: 'redis', hello: 'PING\r\n', expect: '+PONG', available: await privateServerAvailable('redis') },
  {
    kind: 'memcached',
    hello: 'version\r\n',
    expect: 'VERSION',
    available: await privateServerAvailable('memcached'),
  },
] as const;

describe.each(kinds)('private $kind server', ({ kind, hello, expect: reply, available }) => {
  const servers: PrivateServer[] = [];
  afterAll(async () => Promise.all(servers.map((s) => s.stop())));

  it.skipIf(!available)('starts on its own port, dies on kill and comes back on restart', async () => {
    const server = await startPrivateServer(kind);
    servers.push(server);
    expect(server.port).not.toBe(kind === 'redis' ? 6379 : 11211);
    expect(await probeTcp(kind, server.host, server.port, hello, reply)).toBeNull();
    await server.kill();
    expect(await probeTcp(kind, server.host, server.port, hello, reply)).not.toBeNull();
    await server.restart();
    expect(await probeTcp(kind, server.host, server.port, hello, reply)).toBeNull();
  });
});
