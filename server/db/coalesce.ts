/**
 * Writes that many requests make at about the same time, gathered into one statement (a group
 * commit). Each caller's promise settles when the statement that carried its item has finished,
 * so a caller that awaits it still answers only after its row is written.
 *
 * At most one statement of a kind is in flight per database handle: items that arrive
 * meanwhile wait for it and go together in the next one. A quiet server therefore writes each
 * item at once (after the current turn of the event loop, so the items of one turn go
 * together); a busy one sends one statement where it would have sent many, which is where the
 * round trips to PostgreSQL cost the most (BENCHMARKS.md, "Scale").
 */
export class Coalescer<T> {
  private pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private busy = false;

  /**
   * @param write writes a batch in one statement.
   * @param maxBatch the most items one statement carries.
   */
  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch = 200,
  ) {}

  /** Queues an item; resolves once it is written, rejects with its own statement's error. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy) return;
    this.busy = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0, this.maxBatch);
    try {
      await this.write(batch.map((b) => b.item));
      for (const b of batch) b.resolve();
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      // One bad item must not fail the others: each is tried again on its own.
      else
        await Promise.all(
          batch.map((b) =>
            this.write([b.item]).then(
              () => b.resolve(),
              (e: unknown) => b.reject(e),
            ),
          ),
        );
    } finally {
      this.busy = false;
      if (this.pending.length > 0) this.schedule();
    }
  }
}

/**
 * One coalescer per database handle (a pool or PGlite), made on first use, so every process
 * and every test database has its own.
 */
export function coalescerPer<K extends object, T>(
  write: (key: K, items: T[]) => Promise<void>,
): (key: K) => Coalescer<T> {
  const made = new WeakMap<K, Coalescer<T>>();
  return (key) => {
    let c = made.get(key);
    if (!c) {
      c = new Coalescer<T>((items) => write(key, items));
      made.set(key, c);
    }
    return c;
  };
}
