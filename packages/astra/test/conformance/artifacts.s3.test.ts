import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ArtifactStore } from '../../src/adapters/artifacts/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { type PrivateS3, startPrivateS3 } from '../support/private-s3.js';
import { freePort } from '../support/private-server.js';
import { describeArtifactsConformance } from './artifacts.suite.js';

let s3: PrivateS3;
beforeAll(async () => {
  s3 = await startPrivateS3();
});
afterAll(async () => {
  await s3.stop();
});

describeArtifactsConformance('s3 (s3rver)', async (options) => {
  const clock = new ManualClock();
  const store = await createS3ArtifactStore({
    bucket: await s3.createBucket(),
    endpoint: s3.endpoint,
    credentials: s3.credentials,
    clock,
    ...options,
  });
  return { store, clock, dispose: async () => undefined };
});

describe('s3 artifact store', () => {
  it('fails to open with ASTRA_ARTIFACTS_UNAVAILABLE when the bucket is missing or the endpoint is down', async () => {
    await expect(
      createS3ArtifactStore({ bucket: 'no-such-bucket', endpoint: s3.endpoint, credentials: s3.credentials }),
    ).rejects.toMatchObject({ code: 'ASTRA_ARTIFACTS_UNAVAILABLE' });
    await expect(
      createS3ArtifactStore({
        bucket: 'x-bucket',
        endpoint: `http://127.0.0.1:${await freePort()}`,
        credentials: s3.credentials,
      }),
    ).rejects.toMatchObject({ code: 'ASTRA_ARTIFACTS_UNAVAILABLE' });
  });
});
