// Which instances holding sockets have been missing long enough to be declared dead. Pure: the
// caller says who holds sockets and whether each one's heartbeat is current.
//
// An instance is released only after its heartbeat has been missing for `confirmMs` as seen
// from here. Longer than two heartbeat periods: when Redis comes back empty after an outage
// every key is lost at once, and each live instance needs one period to write its own again.
// Releasing a live instance would cut every one of its clients from relay and, after the
// grace, from their sessions.
export class DeadInstanceWatch {
  private readonly missingSince = new Map<string, number>();

  constructor(private readonly confirmMs: number) {}

  // Forgets instances that no longer hold sockets (released, or their sockets all left).
  retain(holding: readonly string[]): void {
    for (const id of this.missingSince.keys())
      if (!holding.includes(id)) this.missingSince.delete(id);
  }

  // Records what was seen of `id` at `now`; true when it is now due for release.
  observe(id: string, alive: boolean, now: number): boolean {
    if (alive) {
      this.missingSince.delete(id);
      return false;
    }
    const since = this.missingSince.get(id) ?? now;
    this.missingSince.set(id, since);
    return now - since >= this.confirmMs;
  }

  released(id: string): void {
    this.missingSince.delete(id);
  }
}
