import { afterEach, describe, expect, it } from 'vitest';
import { createVaultSecretStore } from '../../src/adapters/secrets/index.js';
import type { AstraError } from '../../src/errors/index.js';
import type { SecretStore } from '../../src/ports/secrets.js';
import { ManualClock } from '../../src/time/clock.js';
import { eventually, expectCode } from '../conformance/cache.suite.js';
import { freePort } from '../support/private-server.js';
import { type FakeVault, startFakeVault } from './vault-server.js';

let vault: FakeVault | undefined;
let store: SecretStore | undefined;
afterEach(async () => {
  await store?.close();
  await vault?.close();
  store = undefined;
  vault = undefined;
});

describe('vault secret store', () => {
  it('reads <mount>/data/<prefix>/<name> with the token and namespace headers', async () => {
    vault = await startFakeVault({ namespace: 'team-a', mount: 'kv' });
    vault.tokens.set('s.ns', { ttl: 0, renewable: false });
    vault.kv.set('kv/apps/astra/db_password', [{ data: { value: 'hunter2', other: 'x' } }]);
    store = await createVaultSecretStore({
      address: `${vault.address}/`,
      token: 's.ns',
      namespace: 'team-a',
      mount: 'kv',
      pathPrefix: 'apps/astra',
    });
    expect(await store.get('db_password')).toEqual({ name: 'db_password', version: 1, value: 'hunter2' });
    expect(await store.list()).toEqual([{ name: 'db_password', version: 1 }]);
    expect(vault.requests.map((r) => r.url)).toEqual([
      '/v1/auth/token/lookup-self',
      '/v1/kv/data/apps/astra/db_password',
      '/v1/kv/metadata/apps/astra?list=true',
      '/v1/kv/metadata/apps/astra/db_password',
    ]);
    expect(vault.requests.every((r) => r.namespace === 'team-a')).toBe(true);
  });

  it('fails to open with ASTRA_SECRETS_FORBIDDEN when Vault refuses the token (403), and on a wrong namespace', async () => {
    vault = await startFakeVault({ namespace: 'right' });
    vault.tokens.set('s.good', { ttl: 0, renewable: false });
    await expectCode(
      createVaultSecretStore({ address: vault.address, token: 's.bad', namespace: 'right' }),
      'ASTRA_SECRETS_FORBIDDEN',
    );
    await expectCode(
      createVaultSecretStore({ address: vault.address, token: 's.good', namespace: 'wrong' }),
      'ASTRA_SECRETS_FORBIDDEN',
    );
  });

  it('answers ASTRA_SECRETS_UNAVAILABLE for a sealed Vault (503) and an unreachable one', async () => {
    vault = await startFakeVault();
    vault.tokens.set('s.t', { ttl: 0, renewable: false });
    vault.kv.set('secret/astra/k', [{ data: { value: 'v' } }]);
    store = await createVaultSecretStore({ address: vault.address, token: 's.t' });
    vault.failWith = 503;
    await expectCode(store.get('k'), 'ASTRA_SECRETS_UNAVAILABLE');
    await expectCode(store.list(), 'ASTRA_SECRETS_UNAVAILABLE');
    vault.failWith = null;
    expect((await store.get('k')).value).toBe('v');
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    await expectCode(
      createVaultSecretStore({ address: nowhere, token: 's.t', timeoutMs: 2000 }),
      'ASTRA_SECRETS_UNAVAILABLE',
    );
  });

  it('treats deleted and destroyed versions as not found, and lists only live current versions', async () => {
    vault = await startFakeVault();
    vault.tokens.set('s.t', { ttl: 0, renewable: false });
    vault.kv.set('secret/astra/rotated', [
      { data: { value: 'old' }, destroyed: true },
      { data: { value: 'new' } },
    ]);
    vault.kv.set('secret/astra/gone', [{ data: { value: 'x' }, deleted: true }]);
    vault.kv.set('secret/astra/no_field', [{ data: { password: 'x' } }]);
    vault.kv.set('secret/astra/folder/nested', [{ data: { value: 'x' } }]);
    store = await createVaultSecretStore({ address: vault.address, token: 's.t' });
    expect((await store.get('rotated')).value).toBe('new');
    const destroyed = (await store.get('rotated', { version: 1 }).catch((e: unknown) => e)) as AstraError;
    expect(destroyed.code).toBe('ASTRA_SECRET_NOT_FOUND');
    expect(destroyed.message).toContain('destroyed');
    const deleted = (await store.get('gone').catch((e: unknown) => e)) as AstraError;
    expect(deleted.message).toContain('deleted');
    await expectCode(store.get('no_field'), 'ASTRA_SECRET_NOT_FOUND');
    expect(await store.list()).toEqual([
      { name: 'no_field', version: 1 },
      { name: 'rotated', version: 2 },
    ]);
  });

  it('lists nothing when the folder does not exist (Vault answers 404)', async () => {
    vault = await startFakeVault();
    vault.tokens.set('s.t', { ttl: 0, renewable: false });
    store = await createVaultSecretStore({ address: vault.address, token: 's.t' });
    expect(await store.list()).toEqual([]);
  });

  it('renews a renewable token when two thirds of its TTL have passed, then on the new TTL', async () => {
    vault = await startFakeVault();
    vault.tokens.set('s.lease', { ttl: 30, renewable: true, renewTtl: 60 });
    const clock = new ManualClock();
    store = await createVaultSecretStore({
      address: vault.address,
      token: 's.lease',
      clock,
      renewIncrementSec: 60,
    });
    await clock.advance(19_000);
    expect(vault.requests.some((r) => r.url.endsWith('renew-self'))).toBe(false);
    await clock.advance(1_000);
    await vault.whenRenewed(1);
    const renewal = vault.requests.find((r) => r.url.endsWith('renew-self'));
    expect(renewal).toMatchObject({ method: 'POST' });
    expect(JSON.parse(renewal?.body ?? '{}')).toEqual({ increment: '60s' });
    await parked(clock);
    await clock.advance(40_000);
    await vault.whenRenewed(2);
    await store.close();
    await clock.advance(1_000_000);
    expect(vault.requests.filter((r) => r.url.endsWith('renew-self'))).toHaveLength(2);
  });

  it('reports a failed renewal and retries it before the token expires', async () => {
    vault = await startFakeVault();
    vault.tokens.set('s.lease', { ttl: 30, renewable: true, renewTtl: 30 });
    const clock = new ManualClock();
    const errors: AstraError[] = [];
    store = await createVaultSecretStore({
      address: vault.address,
      token: 's.lease',
      clock,
      onRenewalError: (error) => errors.push(error),
    });
    vault.failWith = 500;
    await clock.advance(20_000);
    await eventually(async () => expect(errors).toHaveLength(1));
    await parked(clock);
    expect(errors[0]?.code).toBe('ASTRA_SECRETS_UNAVAILABLE');
    vault.failWith = null;
    await clock.advance(5_000);
    await vault.whenRenewed(1);
  });

  it('does not renew root-like tokens without a TTL', async () => {
    vault = await startFakeVault();
    vault.tokens.set('s.root', { ttl: 0, renewable: false });
    const clock = new ManualClock();
    store = await createVaultSecretStore({ address: vault.address, token: 's.root', clock });
    await clock.advance(10 ** 9);
    expect(vault.requests.map((r) => r.url)).toEqual(['/v1/auth/token/lookup-self']);
  });

  it('refuses unusable options with ASTRA_CONFIG_INVALID', async () => {
    await expectCode(createVaultSecretStore({ address: 'vault:8200', token: 't' }), 'ASTRA_CONFIG_INVALID');
    await expectCode(
      createVaultSecretStore({ address: 'http://127.0.0.1:1', token: '' }),
      'ASTRA_CONFIG_INVALID',
    );
    await expectCode(
      createVaultSecretStore({ address: 'http://127.0.0.1:1', token: 't', mount: '../x' }),
      'ASTRA_CONFIG_INVALID',
    );
  });
});

/** Resolves once the renewal loop is parked on the clock again (its last answer handled). */
function parked(clock: ManualClock): Promise<void> {
  return eventually(async () => expect(clock.pendingSleeps).toBe(1));
}
