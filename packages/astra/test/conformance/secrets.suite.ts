import { afterEach, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../src/ports/secrets.js';
import { expectCode } from './cache.suite.js';

/**
 * The secrets port's conformance suite: every adapter runs it through `describeSecretsConformance`.
 * The factory builds a store holding `seed` (name → values, oldest first); an adapter that keeps
 * one version per secret gets one value per name and says so (`versions: false`).
 */
export interface SecretsHarness {
  readonly store: SecretStore;
  dispose(): Promise<void>;
}

export type SecretsHarnessFactory = (
  seed: Readonly<Record<string, readonly string[]>>,
) => Promise<SecretsHarness>;

export function describeSecretsConformance(
  name: string,
  factory: SecretsHarnessFactory,
  options: { readonly versions: boolean },
): void {
  describe(`secrets conformance: ${name}`, () => {
    let harness: SecretsHarness | undefined;
    const open = async (seed: Record<string, readonly string[]>): Promise<SecretStore> => {
      harness = await factory(seed);
      return harness.store;
    };
    afterEach(async () => {
      await harness?.dispose();
      harness = undefined;
    });

    it('gets a secret by name with its version, and version 1 by number', async () => {
      const store = await open({ github_token: ['ghp-one'] });
      expect(await store.get('github_token')).toEqual({ name: 'github_token', version: 1, value: 'ghp-one' });
      expect(await store.get('github_token', { version: 1 })).toMatchObject({ value: 'ghp-one' });
    });

    it('keeps values exactly: spaces, unicode, a trailing space', async () => {
      const value = ' multi word ünïcode "quoted" ';
      const store = await open({ odd: [value] });
      expect((await store.get('odd')).value).toBe(value);
    });

    it('answers ASTRA_SECRET_NOT_FOUND for an unknown name or version, never the value in errors', async () => {
      const store = await open({ known: ['v-known-value'] });
      await expectCode(store.get('unknown'), 'ASTRA_SECRET_NOT_FOUND');
      await expectCode(store.get('known', { version: 9 }), 'ASTRA_SECRET_NOT_FOUND');
      const error = await store.get('known', { version: 9 }).catch((e: unknown) => e);
      expect(JSON.stringify(error)).not.toContain('v-known-value');
    });

    it('refuses malformed names and versions before any I/O', async () => {
      const store = await open({});
      for (const bad of ['', 'Upper', '9lead', 'has-dash', 'dot.ted', '../up', 'x'.repeat(129)])
        await expectCode(store.get(bad), 'ASTRA_VALIDATION_FAILED');
      await expectCode(store.get('ok', { version: 0 }), 'ASTRA_VALIDATION_FAILED');
      await expectCode(store.get('ok', { version: 1.5 }), 'ASTRA_VALIDATION_FAILED');
    });

    it('lists names and current versions, sorted, without values', async () => {
      const store = await open({ zeta: ['z'], alpha: ['a-secret-value'] });
      const listed = await store.list();
      expect(listed).toEqual([
        { name: 'alpha', version: 1 },
        { name: 'zeta', version: 1 },
      ]);
      expect(JSON.stringify(listed)).not.toContain('a-secret-value');
      await store.close();
      await store.close();
    });

    it.skipIf(!options.versions)(
      'returns the newest version by default and older ones by number',
      async () => {
        const store = await open({ rotated: ['first', 'second', 'third'] });
        expect(await store.get('rotated')).toEqual({ name: 'rotated', version: 3, value: 'third' });
        expect(await store.get('rotated', { version: 2 })).toMatchObject({ version: 2, value: 'second' });
        expect(await store.list()).toEqual([{ name: 'rotated', version: 3 }]);
      },
    );
  });
}
