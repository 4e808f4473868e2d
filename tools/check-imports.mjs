#!/usr/bin/env node
// Enforces the layer rules of ARCHITECTURE §2 on every source file of every package:
// no import cycles; the kernel and ports import only kernel, ports, errors and time; services import
// no adapters, app or CLI; database and cache drivers are imported only by adapters; only config
// reads process.env; the SDK imports nothing from the platform; route handlers hold no SQL (each
// service's `routes-*.ts` call its stores); outside the kernel, the kernel is imported only through
// its public interface `kernel/index.ts`; a service imports another service only through that
// service's `services/<name>/index.ts`; a service's route files (its Fastify plugins) are imported
// only by the composition root and by route files of the same service. `npm run lint` runs it, and
// so does a unit test. Exits 1 with one line per violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DRIVERS = [
  'pg',
  'pg-pool',
  '@electric-sql/pglite',
  'ioredis',
  'memjs',
  '@aws-sdk/client-s3',
  '@aws-sdk/lib-storage',
  'quickjs-emscripten-core',
  'playwright-core',
  'openai',
  '@anthropic-ai/sdk',
];
// Drivers the benchmark may import too: the baselines it measures Astra's path against
// (`bench:llm-router` calls the model server through the bare `openai` SDK).
const BENCH_BASELINES = ['openai'];
// A statement run from a route file: a driver call, or SQL text.
const SQL_RE = /\.query\s*[(<]|\b(?:SELECT\s|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET)\b/;
const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function listSources(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listSources(full));
    else if (/\.(ts|mts)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function layerOf(rel) {
  const match = /^packages\/([^/]+)\/src\/([^/]+)/.exec(rel);
  if (!match) return { pkg: null, layer: null };
  return { pkg: match[1], layer: match[2] };
}

/** `services/<name>/…` → name; null outside the services. */
function serviceOf(rel) {
  return /^packages\/astra\/src\/services\/([^/]+)\//.exec(rel)?.[1] ?? null;
}

/** A service's route file (`services/<name>/routes-*.ts`): one route group, a Fastify plugin. */
const ROUTE_FILE_RE = /^packages\/astra\/src\/services\/[^/]+\/routes-[^/]+\.ts$/;
const APP_DIR = 'packages/astra/src/app/';

const KERNEL_INDEX = 'packages/astra/src/kernel/index.ts';

function resolveRelative(fromFile, spec) {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.js$/, '.mts'),
    `${base}.ts`,
    path.join(base, 'index.ts'),
  ]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return null;
}

export function checkImports(root) {
  const violations = [];
  const graph = new Map();
  const packagesDir = path.join(root, 'packages');
  const files = readdirSync(packagesDir).flatMap((pkg) => {
    const src = path.join(packagesDir, pkg, 'src');
    try {
      return statSync(src).isDirectory() ? listSources(src) : [];
    } catch {
      return [];
    }
  });

  for (const file of files) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    const text = readFileSync(file, 'utf8');
    const { pkg, layer } = layerOf(rel);
    const edges = [];
    if (
      /process\.env\b/.test(text) &&
      !(pkg === 'astra' && layer === 'config') &&
      !(pkg === 'astra' && layer === 'cli')
    ) {
      violations.push(`${rel}: reads process.env outside config loading`);
    }
    if (ROUTE_FILE_RE.test(rel) && SQL_RE.test(text)) {
      violations.push(`${rel}: SQL in a route file (move it into the service's store)`);
    }
    for (const match of text.matchAll(IMPORT_RE)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (!spec) continue;
      if (spec.startsWith('.')) {
        const target = resolveRelative(file, spec);
        if (!target) {
          violations.push(`${rel}: cannot resolve ${spec}`);
          continue;
        }
        edges.push(target);
        const targetRel = path.relative(root, target).split(path.sep).join('/');
        const to = layerOf(targetRel);
        if (to.pkg !== pkg) violations.push(`${rel}: imports across packages (${targetRel})`);
        else if (
          (layer === 'kernel' || layer === 'ports') &&
          !['kernel', 'ports', 'errors', 'time'].includes(to.layer)
        ) {
          violations.push(`${rel}: ${layer} may not import ${to.layer} (${targetRel})`);
        } else if (layer === 'services' && ['adapters', 'app', 'cli'].includes(to.layer)) {
          violations.push(`${rel}: services may not import ${to.layer} (${targetRel})`);
        } else if (layer === 'adapters' && ['services', 'app', 'cli'].includes(to.layer)) {
          violations.push(`${rel}: adapters may not import ${to.layer} (${targetRel})`);
        }
        if (pkg === 'astra' && layer !== 'kernel' && to.layer === 'kernel' && targetRel !== KERNEL_INDEX)
          violations.push(`${rel}: imports kernel internals (${targetRel}); use kernel/index.ts`);
        const [from, into] = [serviceOf(rel), serviceOf(targetRel)];
        if (
          from !== null &&
          into !== null &&
          from !== into &&
          targetRel !== `packages/astra/src/services/${into}/index.ts`
        )
          violations.push(
            `${rel}: imports the internals of service ${into} (${targetRel}); use services/${into}/index.ts`,
          );
        if (
          ROUTE_FILE_RE.test(targetRel) &&
          !rel.startsWith(APP_DIR) &&
          !(ROUTE_FILE_RE.test(rel) && from === into)
        )
          violations.push(
            `${rel}: imports the route file ${targetRel}; only the composition root (src/app/) registers a service's routes`,
          );
      } else if (!spec.startsWith('node:')) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (pkg === 'sdk' && name.startsWith('@astra/'))
          violations.push(`${rel}: the SDK may not import ${name}`);
        if (
          DRIVERS.includes(name) &&
          layer !== 'adapters' &&
          !(layer === 'bench' && BENCH_BASELINES.includes(name))
        )
          violations.push(`${rel}: driver ${name} imported outside adapters`);
        if ((layer === 'kernel' || layer === 'ports') && pkg === 'astra')
          violations.push(`${rel}: ${layer} imports package ${name}`);
      }
    }
    graph.set(file, edges);
  }

  for (const cycle of findCycles(graph)) {
    violations.push(`import cycle: ${cycle.map((f) => path.relative(root, f)).join(' -> ')}`);
  }
  return violations;
}

// Tarjan's strongly connected components; every component with more than one file (or a self-import) is a cycle.
function findCycles(graph) {
  let index = 0;
  const stack = [];
  const meta = new Map();
  const cycles = [];
  const visit = (node) => {
    meta.set(node, { index, low: index, onStack: true });
    index++;
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!meta.has(next)) {
        visit(next);
        meta.get(node).low = Math.min(meta.get(node).low, meta.get(next).low);
      } else if (meta.get(next).onStack) {
        meta.get(node).low = Math.min(meta.get(node).low, meta.get(next).index);
      }
    }
    if (meta.get(node).low === meta.get(node).index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        meta.get(member).onStack = false;
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!meta.has(node)) visit(node);
  return cycles;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const violations = checkImports(root);
  for (const line of violations) console.error(line);
  if (violations.length > 0) process.exit(1);
  console.log('imports: layer rules hold, no cycles');
}
