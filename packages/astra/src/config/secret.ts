import { inspect } from 'node:util';

/**
 * A configuration value that must never print: logs, JSON, string interpolation and
 * util.inspect all show `[redacted]`. Code that needs the value calls `reveal()`, on purpose.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
