import { AstraError } from '../../errors/index.js';

/**
 * A send refused because the actor's mailbox is at capacity. Nothing was queued; the sender decides
 * whether to wait `retryAfterMs`, shed the message or push back on its own caller. It is an AstraError
 * with code ASTRA_ACTOR_MAILBOX_FULL (HTTP 429, retryable), so edges map it like any other.
 */
export class MailboxFull extends AstraError {
  readonly actorId: string;
  readonly capacity: number;
  readonly retryAfterMs: number;

  constructor(actorId: string, capacity: number, retryAfterMs: number) {
    super('ASTRA_ACTOR_MAILBOX_FULL', `The mailbox of actor "${actorId}" is full (${capacity} messages).`, {
      details: { actorId, capacity, retryAfterMs },
    });
    this.name = 'MailboxFull';
    this.actorId = actorId;
    this.capacity = capacity;
    this.retryAfterMs = retryAfterMs;
  }
}

export function isMailboxFull(value: unknown): value is MailboxFull {
  return value instanceof MailboxFull;
}

export function actorNotFound(actorId: string): AstraError {
  return new AstraError('ASTRA_ACTOR_NOT_FOUND', `No live actor has id "${actorId}".`, {
    details: { actorId },
  });
}
