/**
 * Keeps the process alive while a backend waits for its server, for drivers whose idle
 * sockets are unref'd so that a script that never calls `close()` can still exit. An
 * unref'd socket alone would let Node exit in the middle of an awaited query.
 */
export class BusyHold {
  #count = 0;
  #timer: NodeJS.Timeout | undefined;

  /** One more operation in flight. */
  enter(): void {
    // A timer is the cheapest handle that keeps the event loop running; it never fires.
    if (this.#count++ === 0) this.#timer = setInterval(() => undefined, 2 ** 30);
  }

  /** One operation fewer; the last one lets the process exit again. */
  exit(): void {
    if (--this.#count > 0) return;
    this.#count = 0;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Runs `fn` with the process held alive until it settles. */
  async around<T>(fn: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      return await fn();
    } finally {
      this.exit();
    }
  }
}
