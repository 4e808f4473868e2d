import { z } from 'zod';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export const RecentLogLine = z
  .object({
    seq: z.number().int().meta({ description: 'Counts the lines this process logged, from 1.' }),
    time: z.string().nullable(),
    level: z.enum(LOG_LEVELS),
    msg: z.string(),
    component: z.string().nullable(),
    text: z.string().meta({ description: 'The whole line as logged (JSON text, redacted, at most 8 KiB).' }),
  })
  .meta({ id: 'RecentLogLine' });

export const RecentLogList = z.object({
  total: z.number().int().meta({ description: 'Lines this process has logged since it started.' }),
  capacity: z.number().int().meta({ description: 'Lines the process keeps.' }),
  lines: z.array(RecentLogLine),
});
