/**
 * The order in which pending changes are shown: first proposed, first shown;
 * the next one opens when the one on screen is decided. Nothing is dropped:
 * an entry leaves only when its own change is decided or cancelled.
 */

export class ReviewQueue<T extends { id: string }> {
  private readonly items: T[] = [];

  add(item: T): void {
    if (this.items.some((i) => i.id === item.id)) throw new Error(`Change ${item.id} is already pending.`);
    this.items.push(item);
  }

  get(id: string): T | undefined {
    return this.items.find((i) => i.id === id);
  }

  remove(id: string): T | undefined {
    const i = this.items.findIndex((x) => x.id === id);
    return i < 0 ? undefined : this.items.splice(i, 1)[0];
  }

  /** The oldest pending entry: the one to show next. */
  head(): T | undefined {
    return this.items[0];
  }

  list(): readonly T[] {
    return [...this.items];
  }

  get size(): number {
    return this.items.length;
  }
}
