/**
 * The newest log lines of this process, kept in memory for `GET /logs/recent` (the dashboard's
 * Logs page): a bounded ring fed by the logger as a second destination (logger.ts), so it holds
 * exactly what the logger wrote at its level, after pino's field redaction. Each line is scrubbed
 * once more as it arrives, for credentials inside free text (a message or an error that quotes a
 * header, a URL with a password or a token in its query): `Bearer <token>`, `user:password@` in
 * URLs, and the values of `token`, `access_token`, `refresh_token`, `api_key`, `password` and
 * `secret` parameters. Lines longer than `maxLineBytes` are cut. Nothing is written to disk.
 *
 * Ring: `capacity` slots; the write position wraps and overwrites the oldest line, so memory stays
 * at about capacity × maxLineBytes (500 × 8 KiB ≤ 4 MiB) whatever the log rate.
 */
export interface RecentLinesOptions {
  /** Lines kept; default 500. */
  readonly capacity?: number;
  /** A longer line is cut to this many characters and marked; default 8192. */
  readonly maxLineBytes?: number;
}

export interface RecentLine {
  /** Counts every line this process logged, from 1: a caller asks for lines after the last it saw. */
  readonly seq: number;
  /** The line as the logger wrote it (JSON text, scrubbed, maybe cut). */
  readonly text: string;
}

export const RECENT_LINES_DEFAULTS = { capacity: 500, maxLineBytes: 8192 } as const;

const SCRUBS: readonly [RegExp, string][] = [
  [/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"]+:)[^\s@/"]+@/gi, '$1[redacted]@'],
  [
    /([?&;\s"]?(?:token|access_token|refresh_token|api_key|apikey|password|secret)=)[^&\s"]+/gi,
    '$1[redacted]',
  ],
];

export function scrubLine(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SCRUBS) out = out.replace(pattern, replacement);
  return out;
}

export class RecentLines {
  private readonly slots: (RecentLine | undefined)[];
  private readonly maxLineBytes: number;
  private written = 0;

  constructor(options: RecentLinesOptions = {}) {
    const capacity = options.capacity ?? RECENT_LINES_DEFAULTS.capacity;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.slots = new Array<RecentLine | undefined>(capacity);
    this.maxLineBytes = options.maxLineBytes ?? RECENT_LINES_DEFAULTS.maxLineBytes;
  }

  /** The logger's destination: one call per serialized line (with its trailing newline). */
  readonly stream = {
    write: (chunk: string): void => {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      const cut = line.length > this.maxLineBytes ? `${line.slice(0, this.maxLineBytes)}…[cut]` : line;
      this.written += 1;
      this.slots[(this.written - 1) % this.slots.length] = { seq: this.written, text: scrubLine(cut) };
    },
  };

  /** The newest `limit` lines after `afterSeq` (default 0), oldest first. */
  lines(options: { readonly afterSeq?: number; readonly limit?: number } = {}): RecentLine[] {
    const oldest = Math.max(1, this.written - this.slots.length + 1, (options.afterSeq ?? 0) + 1);
    const first = Math.max(oldest, this.written - (options.limit ?? this.slots.length) + 1);
    const out: RecentLine[] = [];
    for (let seq = first; seq <= this.written; seq++) {
      const line = this.slots[(seq - 1) % this.slots.length];
      if (line !== undefined) out.push(line);
    }
    return out;
  }

  get capacity(): number {
    return this.slots.length;
  }

  /** How many lines this process has logged (the newest line's seq). */
  get total(): number {
    return this.written;
  }
}
