#!/usr/bin/env node
// Builds the web dashboard (packages/astra/dashboard, Preact + TSX) into packages/astra/dist/dashboard:
// one minified ES module bundle and one stylesheet under assets/, named by their content hash, and
// index.html that loads them. Run by `npm run build` and the `prepare` step of `npm ci`, after `tsc -b`.
// The files are written to a fresh directory that then replaces the old one, so a gateway never
// reads half a build. `--metafile` prints each bundle's bytes (raw and gzip).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../packages/astra/', import.meta.url));

/** Builds into `outDir` (default packages/astra/dist/dashboard); returns the assets' names and sizes. */
export async function buildDashboard(outDir = path.join(root, 'dist/dashboard')) {
  const staging = `${outDir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: path.join(root, 'dashboard/src/main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(root, 'dashboard/tsconfig.json'),
    entryNames: '[name]-[hash]',
    outdir: path.join(staging, 'assets'),
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const assets = Object.keys(result.metafile.outputs).map((file) => {
    const bytes = readFileSync(file);
    return { name: path.basename(file), bytes: bytes.length, gzipBytes: gzipSync(bytes).length };
  });
  const script = assets.find((asset) => asset.name.endsWith('.js'));
  const style = assets.find((asset) => asset.name.endsWith('.css'));
  if (script === undefined || style === undefined)
    throw new Error('the dashboard build made no script or style');
  mkdirSync(staging, { recursive: true });
  writeFileSync(path.join(staging, 'index.html'), page(script.name, style.name));
  rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
  return assets;
}

function page(script, style) {
  const base = '/superadmin/dashboard/assets/';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Astra dashboard</title>
<link rel="stylesheet" href="${base}${style}">
<script type="module" src="${base}${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Astra dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const assets = await buildDashboard();
  if (process.argv.includes('--sizes'))
    for (const asset of assets) console.log(`${asset.name}\t${asset.bytes} B\t${asset.gzipBytes} B gzip`);
}
