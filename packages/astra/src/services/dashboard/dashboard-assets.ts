import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The dashboard's built files (tools/build-dashboard.mjs writes them): `index.html`, which names
 * the bundle by its content hash, and `assets/<name>-<hash>.<ext>`. They are read once, on the
 * first request, and kept in memory (tens of kilobytes); each carries its media type and an ETag
 * (a digest of its bytes), so a browser revalidates the page and keeps the hashed assets.
 */
export interface DashboardFile {
  readonly body: Buffer;
  readonly mediaType: string;
  readonly etag: string;
}

export interface DashboardFiles {
  readonly index: DashboardFile;
  /** By file name under `assets/`. */
  readonly assets: ReadonlyMap<string, DashboardFile>;
}

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/** The built files in `dir`; null when the dashboard was not built there (no index.html). */
export async function loadDashboardFiles(dir: string): Promise<DashboardFiles | null> {
  const index = await readFile(path.join(dir, 'index.html')).catch(() => null);
  if (index === null) return null;
  const assets = new Map<string, DashboardFile>();
  const names = await readdir(path.join(dir, 'assets')).catch(() => [] as string[]);
  for (const name of names) {
    const mediaType = MEDIA_TYPES[path.extname(name)];
    if (mediaType === undefined) continue;
    assets.set(name, fileOf(await readFile(path.join(dir, 'assets', name)), mediaType));
  }
  return { index: fileOf(index, 'text/html; charset=utf-8'), assets };
}

function fileOf(body: Buffer, mediaType: string): DashboardFile {
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return { body, mediaType, etag: `"${digest}"` };
}
