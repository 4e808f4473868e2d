import { z } from 'zod';
import { Timestamp, Uuid } from '../api/index.js';

/** One message of `GET /events/stream` (its `data`) and of the WebSocket feed. */
export const StreamedEvent = z
  .object({
    id: z.number().int().meta({ description: "The event's id in the log; increasing." }),
    type: z.string(),
    agent_id: Uuid.nullable(),
    goal_id: Uuid.nullable(),
    graph_id: Uuid.nullable(),
    task_id: Uuid.nullable(),
    payload: z.unknown(),
    created_at: Timestamp,
  })
  .meta({ id: 'StreamedEvent' });
