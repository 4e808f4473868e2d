/**
 * A growable FIFO ring. It starts small and doubles when full, so a mailbox that only ever holds a
 * message or two costs a few slots, not its bound; the bound itself is enforced by the caller. Used
 * for actor mailboxes and for the scheduler's ready queue.
 */
export class Ring<T> {
  readonly #initialSlots: number;
  #slots: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(initialSlots = 4) {
    this.#initialSlots = Math.max(1, initialSlots);
    this.#slots = new Array<T | undefined>(this.#initialSlots);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#slots.length) this.#grow();
    this.#slots[(this.#head + this.#size) % this.#slots.length] = item;
    this.#size++;
  }

  /** Takes the oldest item. Check `size` first: items may themselves be `undefined`. */
  shift(): T {
    if (this.#size === 0) throw new RangeError('shift from an empty ring');
    const item = this.#slots[this.#head] as T;
    // Clear the slot so a handled message is not kept alive by the ring.
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#size--;
    return item;
  }

  /** When empty, gives back slots beyond `keepSlots` that a burst made it grow to. */
  shrink(keepSlots: number): void {
    if (this.#size > 0 || this.#slots.length <= Math.max(keepSlots, this.#initialSlots)) return;
    this.#slots = new Array<T | undefined>(this.#initialSlots);
    this.#head = 0;
  }

  #grow(): void {
    const grown = new Array<T | undefined>(this.#slots.length * 2);
    for (let i = 0; i < this.#size; i++) grown[i] = this.#slots[(this.#head + i) % this.#slots.length];
    this.#slots = grown;
    this.#head = 0;
  }
}
