/**
 * A small FIFO counting semaphore. It caps requests in flight per endpoint: vLLM batches
 * concurrent requests, so we want exactly `limit` outstanding, served in arrival order so
 * no question starves behind later ones.
 */

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  /** Detaches the abort listener once the waiter is settled. */
  cleanup: () => void;
}

/** An Error with name 'AbortError', like DOMException's, so callers can test `err.name`. */
export function abortError(signal?: AbortSignal, message = 'The operation was aborted'): Error {
  const reason: unknown = signal?.reason;
  // Prefer the caller's own reason when it already is an AbortError (e.g. controller.abort()).
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new Error(message, reason === undefined ? undefined : { cause: reason });
  err.name = 'AbortError';
  return err;
}

export class Semaphore {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`Semaphore limit must be a positive integer, got ${limit}`);
  }

  /** Slots currently held. */
  get inUse(): number {
    return this.active;
  }

  /** Acquires queued behind the held slots. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves with a release function once a slot is free. The release function is
   * idempotent, so a double release in a finally block cannot inflate the limit.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.active < this.limit && this.queue.length === 0) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise<() => void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        // Only still-queued waiters can be aborted; a granted slot belongs to the caller now.
        if (index < 0) return;
        this.queue.splice(index, 1);
        reject(abortError(signal));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.handOff();
    };
  }

  /** Passes the freed slot straight to the next waiter (active count unchanged) or frees it. */
  private handOff(): void {
    const next = this.queue.shift();
    if (next === undefined) {
      this.active -= 1;
      return;
    }
    next.cleanup();
    next.resolve(this.releaser());
  }
}
