// A bounded isolate-local cache with a TTL: the bound on how long a change elsewhere may go unseen here.
export class TtlCache<V> {
  private readonly slots = new Map<string, { value: V; expires: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(key: string, now: number): { value: V; expires: number } | undefined {
    const slot = this.slots.get(key);
    return slot && slot.expires > now ? slot : undefined;
  }

  // The last value stored, expired or not: for serving through a storage outage, never as a fresh answer.
  stale(key: string): { value: V } | undefined {
    return this.slots.get(key);
  }

  set(key: string, value: V, now: number, ttlMs: number): V {
    if (ttlMs > 0) {
      // A flood of random keys must not grow the isolate without bound.
      if (this.slots.size >= this.maxEntries) this.slots.clear();
      this.slots.set(key, { value, expires: now + ttlMs });
    }
    return value;
  }

  delete(key: string): void {
    this.slots.delete(key);
  }

  clear(): void {
    this.slots.clear();
  }
}
