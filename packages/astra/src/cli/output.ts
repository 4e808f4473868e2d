import type { Writable } from 'node:stream';

/** Where CLI commands write: injectable so tests read what a user would see. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
  /** Text without a line end (a chat's streamed answer); without it, `out` writes each piece as a line. */
  readonly write?: (text: string) => void;
}

/**
 * Output to two streams (the process's stdout and stderr by default). When the reader of standard
 * output goes away (`astra config | head`), writes fail with EPIPE: the rest of the output is
 * dropped and the command finishes as it would have, with no stack trace — the reader asked for no
 * more. The same holds for standard error.
 */
export function createStreamOutput(
  stdout: Writable = process.stdout,
  stderr: Writable = process.stderr,
): CliOutput {
  const writer = (stream: Writable): ((line: string) => void) => {
    let open = true;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      open = false;
    });
    return (text) => {
      if (open && !stream.destroyed) stream.write(text);
    };
  };
  const out = writer(stdout);
  const err = writer(stderr);
  return { out: (line) => out(`${line}\n`), err: (line) => err(`${line}\n`), write: out };
}
