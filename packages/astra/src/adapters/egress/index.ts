export { type AddressClass, classifyAddress } from './address-class.js';
export { compileGrants, decide } from './grants.js';
export { createEgressProxy, EGRESS_DEFAULTS, type EgressProxyOptions } from './proxy.js';
export { createLogEgressSink, createMemoryEgressSink, type MemoryEgressSink } from './sinks.js';
export { type EgressResolver, systemResolver } from './upstream-address.js';
