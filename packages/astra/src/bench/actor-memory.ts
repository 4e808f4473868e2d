/**
 * What an idle actor costs in heap.
 *
 *   npx tsc -b && node --expose-gc packages/astra/dist/bench/actor-memory.js [count=200000]
 *
 * Spawns `count` actors from one shared behavior, forces full collections, and reads the heap used
 * before and after: the difference over `count` is the cost of one idle actor, its id string and its
 * registry entry included. Then every actor handles one message and goes idle again, and the heap is
 * read once more, to show that a busy spell leaves nothing behind (mailboxes are released). Prints the
 * conditions and figures, and as the last line one JSON object with the headline numbers.
 */
import { createActorSystem } from '../kernel/index.js';

const GIB = 2 ** 30;

function heapUsedAfterGc(): number {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  // Several passes: the first can leave work for finalization and weak references.
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

function parseCount(argument: string | undefined): number {
  const count = argument === undefined ? 200_000 : Number(argument);
  if (!Number.isSafeInteger(count) || count < 1)
    throw new Error(`count must be a positive integer, got ${argument}`);
  return count;
}

/**
 * Agent ids are UUIDs (the agents table's key). These are UUID-shaped and deterministic, and flat:
 * a template literal would build a rope (ConsString) that V8 flattens later on a lookup, which
 * changes the heap between readings; ids read from a database or JSON are flat strings already.
 */
function idOf(i: number): string {
  const uuid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
  return Buffer.from(uuid, 'latin1').toString('latin1');
}

/** Heap per element of an array built by `make`, after collection. */
function bytesPerElement(count: number, make: (i: number) => unknown): number {
  const before = heapUsedAfterGc();
  const held = Array.from({ length: count }, (_, i) => make(i));
  const bytes = (heapUsedAfterGc() - before) / count;
  // Read after measuring so the array stays alive until then.
  if (held.length !== count) throw new Error('unreachable');
  return bytes;
}

async function main(): Promise<void> {
  const count = parseCount(process.argv[2]);
  if (globalThis.gc === undefined) {
    console.error('actor-memory: run with node --expose-gc');
    process.exitCode = 2;
    return;
  }

  let handled = 0;
  let allHandled: () => void = () => undefined;
  const system = createActorSystem();
  const behavior = {
    handler: (): void => {
      handled++;
      if (handled === count) allHandled();
    },
  };

  // The id strings alone (array slots subtracted), to tell the runtime's share from the strings'.
  const idBytes = bytesPerElement(count, idOf) - bytesPerElement(count, () => 'shared');

  const base = heapUsedAfterGc();
  const spawnStart = performance.now();
  for (let i = 0; i < count; i++) system.spawn({ id: idOf(i), behavior });
  const spawnMs = performance.now() - spawnStart;
  const idle = heapUsedAfterGc();
  const perActor = (idle - base) / count;

  const sendStart = performance.now();
  const done = new Promise<void>((resolve) => {
    allHandled = resolve;
  });
  for (let i = 0; i < count; i++) system.send(idOf(i), i);
  await done;
  const sendMs = performance.now() - sendStart;
  // Let the last turns finish so every actor is idle again.
  await new Promise((resolve) => setImmediate(resolve));
  const stats = system.stats();
  const afterBusy = heapUsedAfterGc();
  const perActorAfterBusy = (afterBusy - base) / count;

  await system.stopAll();
  const afterStop = heapUsedAfterGc();

  const round = (value: number): number => Math.round(value * 10) / 10;
  console.log(
    `conditions: node ${process.version}, v8 ${process.versions.v8}, ${process.platform}/${process.arch}, ` +
      `${count} idle actors from one behavior, UUID ids like "${idOf(count - 1)}"`,
  );
  console.log(
    `heap used before spawn: ${(base / 2 ** 20).toFixed(1)} MiB; after: ${(idle / 2 ** 20).toFixed(1)} MiB`,
  );
  console.log(`idle actor: ${round(perActor)} bytes (of which the id string: ${round(idBytes)})`);
  console.log(
    `after one message each (active now: ${stats.active}, processed: ${stats.processed}): ` +
      `${round(perActorAfterBusy)} bytes per actor`,
  );
  console.log(
    `after stopAll: heap ${(afterStop / 2 ** 20).toFixed(1)} MiB (${round((afterStop - base) / count)} bytes per former actor)`,
  );
  console.log(
    `spawn: ${Math.round(count / (spawnMs / 1000))}/s; send+handle one message each: ` +
      `${Math.round(count / (sendMs / 1000))} msgs/s`,
  );
  console.log(`idle actors per GiB of heap: ${Math.floor(GIB / perActor)}`);
  console.log(
    JSON.stringify({
      'actors.idle_bytes_per_actor': Math.round(perActor),
      'actors.per_gb': Math.floor(GIB / perActor),
    }),
  );
}

await main();
