#!/usr/bin/env node
// Fails when package-lock.json lacks an optional dependency some locked package declares (the
// platform builds of a native tool, e.g. Biome's). npm 11.19 drops other platforms' optional
// packages when it rewrites the lockfile, and `npm ci` then refuses it. Fix: restore the lockfile
// from git and run `npm run lock` (npm 11.6.0 keeps them).
import { readFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const packages = lock.packages ?? {};
const missing = [];
for (const [location, entry] of Object.entries(packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    const nested = `${location}/node_modules/${name}`;
    if (!(nested in packages) && !(`node_modules/${name}` in packages))
      missing.push(`${name} (optional of ${location || 'root'})`);
  }
}
if (missing.length > 0) {
  console.error(
    `lockfile: ${missing.length} optional package(s) missing, npm ci will fail:\n  ${missing.join('\n  ')}`,
  );
  console.error('restore package-lock.json from git and run `npm run lock`');
  process.exit(1);
}
console.log('lockfile: every optional platform package is locked');
