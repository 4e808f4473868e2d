import { createVaultSecretStore } from '../../src/adapters/secrets/index.js';
import { startFakeVault } from '../secrets/vault-server.js';
import { describeSecretsConformance } from './secrets.suite.js';

describeSecretsConformance(
  'vault kv v2',
  async (seed) => {
    const vault = await startFakeVault();
    vault.tokens.set('s.test', { ttl: 0, renewable: false });
    for (const [name, values] of Object.entries(seed))
      vault.kv.set(
        `secret/astra/${name}`,
        values.map((value) => ({ data: { value } })),
      );
    const store = await createVaultSecretStore({ address: vault.address, token: 's.test' });
    return {
      store,
      dispose: async () => {
        await store.close();
        await vault.close();
      },
    };
  },
  { versions: true },
);
