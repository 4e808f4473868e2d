import { Counter, Gauge, type Registry } from 'prom-client';
import type { Bus, BusMessage } from '../../ports/bus.js';
import type { Guard } from './collect-errors.js';

/**
 * The bus with its redeliveries and dead letters counted: a message taken over by `reclaim` (its
 * consumer died or its handler failed, and it sat idle past minIdleMs) is a redelivery; a failed
 * delivery the bus moved to the dead-letter stream (past maxDeliveries) is a dead letter. Every
 * other call passes through untouched.
 */
export function meteredBus(bus: Bus, registry: Registry): Bus {
  const registers = [registry];
  const redeliveries = new Counter({
    name: 'astra_bus_redeliveries_total',
    help: 'Bus messages delivered again after sitting unacked past the idle limit, by stream.',
    labelNames: ['stream'],
    registers,
  });
  const deadLetters = new Counter({
    name: 'astra_bus_dead_letters_total',
    help: 'Bus messages moved to the dead-letter stream after too many failed deliveries, by stream.',
    labelNames: ['stream'],
    registers,
  });
  return {
    publish: (stream, fields, options) => bus.publish(stream, fields, options),
    publishMany: (messages, options) => bus.publishMany(messages, options),
    ensureGroup: (stream, group) => bus.ensureGroup(stream, group),
    read: (request) => bus.read(request),
    ack: (stream, group, ids) => bus.ack(stream, group, ids),
    fail: async (group: string, message: BusMessage, error: string) => {
      const outcome = await bus.fail(group, message, error);
      if (outcome === 'dead_lettered') deadLetters.inc({ stream: message.stream });
      return outcome;
    },
    reclaim: async (request) => {
      const messages = await bus.reclaim(request);
      if (messages.length > 0) redeliveries.inc({ stream: request.stream }, messages.length);
      return messages;
    },
    pendingCount: (stream, group) => bus.pendingCount(stream, group),
    range: (stream, count) => bus.range(stream, count),
    length: (stream) => bus.length(stream),
    close: () => bus.close(),
  };
}

/** Each stream's length and its group's unacked messages, read on scrape (the task shards). */
export function busStreamGauges(
  registry: Registry,
  deps: {
    readonly bus: Bus;
    readonly streams: readonly string[];
    readonly group: string;
    readonly guard: Guard;
  },
): void {
  const { bus, streams, group, guard } = deps;
  const registers = [registry];
  new Gauge({
    name: 'astra_bus_stream_length',
    help: 'Entries in each task shard stream (acked ones included until trimmed).',
    labelNames: ['stream'],
    registers,
    async collect() {
      this.reset();
      await guard('bus_length', async () => {
        const lengths = await Promise.all(streams.map((stream) => bus.length(stream)));
        for (const [i, stream] of streams.entries()) this.set({ stream }, lengths[i] ?? 0);
      });
    },
  });
  new Gauge({
    name: 'astra_bus_pending_messages',
    help: "Messages of each task shard delivered to the executors' group and not yet acked.",
    labelNames: ['stream'],
    registers,
    async collect() {
      this.reset();
      await guard('bus_pending', async () => {
        const pending = await Promise.all(streams.map((stream) => bus.pendingCount(stream, group)));
        for (const [i, stream] of streams.entries()) this.set({ stream }, pending[i] ?? 0);
      });
    },
  });
}
