import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { type ArtifactStore, artifactRefOf } from '../../src/ports/artifacts.js';
import type { ManualClock } from '../../src/time/clock.js';
import { expectCode } from './cache.suite.js';

/**
 * The artifacts port's conformance suite: every adapter runs it through
 * `describeArtifactsConformance`. The factory builds an empty store on a ManualClock (retention is
 * measured on the store's clock), with the store's default retention of 30 days unless told.
 */
export interface ArtifactsHarness {
  readonly store: ArtifactStore;
  readonly clock: ManualClock;
  dispose(): Promise<void>;
}

export type ArtifactsHarnessFactory = (options: { readonly maxBytes?: number }) => Promise<ArtifactsHarness>;

const DAY_MS = 24 * 60 * 60 * 1000;
const sha = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

async function* chunks(count: number, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < count; i += 1) yield Buffer.alloc(size, i % 251);
}

export function describeArtifactsConformance(name: string, factory: ArtifactsHarnessFactory): void {
  describe(`artifacts conformance: ${name}`, () => {
    let harness: ArtifactsHarness | undefined;
    const open = async (options: { maxBytes?: number } = {}): Promise<ArtifactsHarness> => {
      harness = await factory(options);
      return harness;
    };
    afterEach(async () => {
      await harness?.store.close();
      await harness?.dispose();
      harness = undefined;
    });

    it('puts bytes under the URI of their SHA-256 and gets them back with size, type and times', async () => {
      const { store, clock } = await open();
      const body = Buffer.from('id,name\n1,astra\n');
      const meta = await store.put(body, { mediaType: 'text/csv; charset=utf-8' });
      expect(meta).toEqual({
        uri: `astra://artifacts/${sha(body)}`,
        sha256: sha(body),
        sizeBytes: body.length,
        mediaType: 'text/csv; charset=utf-8',
        createdAt: new Date(clock.now()).toISOString(),
        expiresAt: new Date(clock.now() + 30 * DAY_MS).toISOString(),
      });
      expect(await store.head(meta.uri)).toEqual(meta);
      const got = await store.get(meta.uri);
      expect(got.meta).toEqual(meta);
      expect(await text(got.body)).toBe(body.toString());
      expect(artifactRefOf(meta)).toEqual({
        $artifact: meta.uri,
        media_type: 'text/csv; charset=utf-8',
        size_bytes: body.length,
      });
    });

    it('stores text as UTF-8 and defaults the media type', async () => {
      const { store } = await open();
      const meta = await store.put('héllo');
      expect(meta).toMatchObject({
        sha256: sha('héllo'),
        sizeBytes: 6,
        mediaType: 'application/octet-stream',
      });
    });

    it('streams large bodies in and out: a Readable and an async iterable of many chunks', async () => {
      const { store } = await open();
      const size = 64 * 1024;
      const count = 180; // 11.25 MiB: several S3 multipart parts
      const expected = createHash('sha256');
      for await (const chunk of chunks(count, size)) expected.update(chunk);
      const meta = await store.put(Readable.from(chunks(count, size)), { mediaType: 'application/x-tar' });
      expect(meta.sha256).toBe(expected.digest('hex'));
      expect(meta.sizeBytes).toBe(count * size);
      const again = await store.put(chunks(count, size));
      expect(again.uri).toBe(meta.uri);
      expect(again.mediaType).toBe('application/x-tar');
      const { body } = await store.get(meta.uri);
      const back = createHash('sha256');
      let bytes = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        back.update(chunk);
        bytes += chunk.length;
      }
      expect(bytes).toBe(count * size);
      expect(back.digest('hex')).toBe(meta.sha256);
      expect((await store.list()).items.map((item) => item.uri)).toEqual([meta.uri]);
    });

    it('refuses an artifact over maxBytes, given whole or streamed, and stores nothing', async () => {
      const { store } = await open({ maxBytes: 1000 });
      await expectCode(store.put(Buffer.alloc(1001)), 'ASTRA_ARTIFACT_TOO_LARGE');
      await expectCode(store.put(chunks(5, 300)), 'ASTRA_ARTIFACT_TOO_LARGE');
      expect((await store.put(Buffer.alloc(1000))).sizeBytes).toBe(1000);
      expect((await store.list()).items).toHaveLength(1);
    });

    it('leaves nothing behind when the body stream fails midway', async () => {
      const { store } = await open();
      async function* broken(): AsyncIterable<Uint8Array> {
        yield Buffer.from('partial');
        throw new Error('source broke');
      }
      await expect(store.put(broken())).rejects.toBeTruthy();
      expect((await store.list()).items).toEqual([]);
      expect(await store.head(`astra://artifacts/${sha('partial')}`)).toBeNull();
    });

    it('keeps the first media type and creation time and extends the expiry on a second put of the same bytes', async () => {
      const { store, clock } = await open();
      const first = await store.put('same', { mediaType: 'text/plain', retentionDays: 1 });
      await clock.advance(DAY_MS / 2);
      const second = await store.put('same', { mediaType: 'application/json', retentionDays: 1 });
      expect(second).toMatchObject({ uri: first.uri, mediaType: 'text/plain', createdAt: first.createdAt });
      expect(second.expiresAt).toBe(new Date(clock.now() + DAY_MS).toISOString());
      const shorter = await store.put('same', { retentionDays: 1 });
      expect(shorter.expiresAt).toBe(second.expiresAt);
      await clock.advance(DAY_MS * 0.75);
      expect(await store.head(first.uri)).not.toBeNull();
      const forever = await store.put('same', { retentionDays: null });
      expect(forever.expiresAt).toBeNull();
      expect((await store.put('same', { retentionDays: 2 })).expiresAt).toBeNull();
    });

    it('never returns an artifact past its expiry, and sweep deletes it', async () => {
      const { store, clock } = await open();
      const short = await store.put('short-lived', { retentionDays: 1 });
      const kept = await store.put('kept', { retentionDays: null });
      const normal = await store.put('default retention');
      await clock.advance(DAY_MS - 1);
      expect(await store.head(short.uri)).not.toBeNull();
      await clock.advance(1);
      expect(await store.head(short.uri)).toBeNull();
      await expectCode(store.get(short.uri), 'ASTRA_ARTIFACT_NOT_FOUND');
      expect((await store.list()).items.map((item) => item.uri).sort()).toEqual(
        [kept.uri, normal.uri].sort(),
      );
      expect(await store.sweep()).toEqual({ deleted: 1 });
      expect(await store.sweep()).toEqual({ deleted: 0 });
      await clock.advance(30 * DAY_MS);
      expect(await store.sweep()).toEqual({ deleted: 1 });
      expect(await store.head(kept.uri)).not.toBeNull();
      const reborn = await store.put('short-lived', { mediaType: 'text/plain' });
      expect(reborn).toMatchObject({
        mediaType: 'text/plain',
        createdAt: new Date(clock.now()).toISOString(),
      });
    });

    it('deletes: later reads miss, a second delete says nothing was there', async () => {
      const { store } = await open();
      const meta = await store.put('to delete');
      expect(await store.delete(meta.uri)).toBe(true);
      expect(await store.head(meta.uri)).toBeNull();
      await expectCode(store.get(meta.uri), 'ASTRA_ARTIFACT_NOT_FOUND');
      expect(await store.delete(meta.uri)).toBe(false);
    });

    it('answers unknown URIs as not found and malformed input as ASTRA_VALIDATION_FAILED', async () => {
      const { store } = await open();
      const unknown = `astra://artifacts/${sha('never stored')}`;
      expect(await store.head(unknown)).toBeNull();
      await expectCode(store.get(unknown), 'ASTRA_ARTIFACT_NOT_FOUND');
      for (const uri of [
        'astra://artifacts/abc',
        `astra://artifacts/${sha('x').toUpperCase()}`,
        `s3://${sha('x')}`,
        '../etc',
      ])
        await expectCode(store.head(uri), 'ASTRA_VALIDATION_FAILED');
      await expectCode(store.put('x', { mediaType: 'not a type' }), 'ASTRA_VALIDATION_FAILED');
      await expectCode(store.put('x', { retentionDays: 0 }), 'ASTRA_VALIDATION_FAILED');
      await expectCode(store.put('x', { retentionDays: 1.5 }), 'ASTRA_VALIDATION_FAILED');
      await expectCode(store.list({ limit: 0 }), 'ASTRA_VALIDATION_FAILED');
      await expectCode(store.list({ after: 'nope' }), 'ASTRA_VALIDATION_FAILED');
    });

    it('lists live artifacts in URI order, page by page', async () => {
      const { store } = await open();
      const uris = (await Promise.all(['a', 'b', 'c', 'd', 'e'].map((body) => store.put(body))))
        .map((m) => m.uri)
        .sort();
      const first = await store.list({ limit: 2 });
      expect(first.items.map((m) => m.uri)).toEqual(uris.slice(0, 2));
      expect(first.next).toBe(uris[1]);
      const second = await store.list({ limit: 2, after: first.next ?? '' });
      expect(second.items.map((m) => m.uri)).toEqual(uris.slice(2, 4));
      const last = await store.list({ limit: 2, after: second.next ?? '' });
      expect(last).toEqual({ items: [expect.objectContaining({ uri: uris[4] })], next: null });
      expect((await store.list({ limit: 5 })).next).toBeNull();
    });
  });
}
