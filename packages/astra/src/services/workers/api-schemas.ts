import { z } from 'zod';
import { JsonObject, Timestamp } from '../api/index.js';

export const Worker = z
  .object({
    id: z.string(),
    hostname: z.string(),
    status: z.enum(['active', 'draining', 'offline']),
    capabilities: z.array(z.string()),
    concurrency: z.number().int(),
    last_heartbeat: Timestamp,
    registered_at: Timestamp,
    metadata: JsonObject,
  })
  .meta({ id: 'Worker' });

export const WorkerList = z.object({ workers: z.array(Worker) });
