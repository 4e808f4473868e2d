export { createMemoryBus, type MemoryBusConfig } from './create-memory-bus.js';
