import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/**
 * A private S3 server (s3rver, on loopback, storing under a temp dir) for the S3 adapters' tests.
 * It accepts any signature; the credentials below only satisfy the SDK.
 */
export interface PrivateS3 {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Creates a fresh bucket and returns its name. */
  createBucket(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPrivateS3(): Promise<PrivateS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 'astra-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  let buckets = 0;
  return {
    endpoint,
    credentials,
    async createBucket() {
      buckets += 1;
      const name = `astra-test-${buckets}`;
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
