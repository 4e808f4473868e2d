import { AstraError } from '../errors/index.js';

/**
 * What a failed listen means to the person starting Astra: ASTRA_PORT_IN_USE when the port is
 * taken, ASTRA_LISTEN_FAILED when the address is not this host's or the port is privileged;
 * anything else is returned unchanged.
 */
export function listenError(address: { host: string; port: number }, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const at = `${address.host}:${address.port}`;
  const details = { host: address.host, port: address.port, errno: code ?? null };
  if (code === 'EADDRINUSE')
    return new AstraError(
      'ASTRA_PORT_IN_USE',
      `port ${address.port} on ${address.host} is in use by another process; stop it, or give another --port (ASTRA_PORT; 0 picks a free one)`,
      { details, cause: error },
    );
  const reason =
    code === 'EACCES'
      ? 'this user may not listen on a port below 1024'
      : code === 'EADDRNOTAVAIL'
        ? 'the address is not one of this host'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'the host name does not resolve'
          : undefined;
  if (reason === undefined) return error;
  return new AstraError(
    'ASTRA_LISTEN_FAILED',
    `cannot listen on ${at}: ${reason} (${code}); change --host (ASTRA_HOST) or --port (ASTRA_PORT)`,
    { details, cause: error },
  );
}
