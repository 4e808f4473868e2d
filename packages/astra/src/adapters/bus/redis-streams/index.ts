export { createRedisBus, type RedisBusConfig } from './create-redis-bus.js';
