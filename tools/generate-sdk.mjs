#!/usr/bin/env node
// Writes packages/sdk/src/operations.ts from the OpenAPI document the server code describes
// (built: run through `npm run generate:sdk`, which builds first). No server is started.
// `--check` writes nothing and exits 1 when the file differs from what would be written.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeApi } from '../packages/astra/dist/app/describe-api.js';
import { formatModule, renderSdk } from './sdk-codegen.mjs';

const target = fileURLToPath(new URL('../packages/sdk/src/operations.ts', import.meta.url));
const { version } = JSON.parse(
  readFileSync(new URL('../packages/sdk/package.json', import.meta.url), 'utf8'),
);
const text = formatModule(renderSdk(await describeApi(version)));
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== text) {
    console.error('packages/sdk/src/operations.ts is out of date: run `npm run generate:sdk`');
    process.exit(1);
  }
} else writeFileSync(target, text);
