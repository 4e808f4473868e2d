import { TokenIssuer } from '../../src/services/identity/token-issuer.js';
import { systemClock } from '../../src/time/clock.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/**
 * A real gateway in this process for the access tests (support/test-gateway.ts): nothing runs
 * tasks, so goals and approvals stay where the fixture put them.
 *
 * Requests go over real HTTP. Access tokens for the fixture's users are signed with the node's own
 * signing keys (a TokenIssuer over the same database, as a second gateway would), because
 * `POST /login` allows ten logins a minute from one address; the escalation tests log in for real.
 */
export type { Answer } from '../support/test-gateway.js';

export interface MatrixServer extends TestGateway {
  /** An access token for a user, signed like `POST /login`'s. */
  tokenFor(user: { id: string; email: string; superAdmin?: boolean }): Promise<string>;
}

export async function startMatrixServer(): Promise<MatrixServer> {
  const gateway = await startTestGateway({
    name: 'access',
    adminEmail: 'root@access.test',
    // MCP servers registered by the matrix are the small stdio server of test/fixtures/mcp.
    settings: { mcpStdioCommands: process.execPath },
  });
  const issuer = new TokenIssuer({
    db: gateway.node.backends.store,
    clock: systemClock,
    keySealer: gateway.keySealer,
  });
  return {
    ...gateway,
    tokenFor: async (user) =>
      (await issuer.issue({ userId: user.id, email: user.email, superAdmin: user.superAdmin ?? false }))
        .token,
  };
}
