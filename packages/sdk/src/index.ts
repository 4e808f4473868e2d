export { AstraClient, type ClientOptions, type Health, type Readiness } from './client.js';
export { AstraApiError } from './errors.js';
