/**
 * A view is an ordered set of record indices described by half-open ranges, so a page at any offset of a
 * 2.8-million-record collection is found by binary search, not by walking the records before it.
 */
export class IndexView {
  /** Sorted, disjoint, non-empty [start, end) ranges. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  /** prefix[i] = number of indices in ranges before ranges[i]. */
  private readonly prefix: number[];
  readonly count: number;

  constructor(ranges: Array<readonly [number, number]>) {
    const sorted = ranges.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [s, e] of sorted) {
      const last = merged[merged.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    this.ranges = merged;
    this.prefix = [];
    let total = 0;
    for (const [s, e] of merged) {
      this.prefix.push(total);
      total += e - s;
    }
    this.count = total;
  }

  static of(indices: number[]): IndexView {
    return new IndexView(indices.map((i) => [i, i + 1] as const));
  }

  /** The index at a position (0-based) in view order. */
  at(position: number): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.prefix[mid] as number) <= position) lo = mid;
      else hi = mid - 1;
    }
    const range = this.ranges[lo] as readonly [number, number];
    return range[0] + (position - (this.prefix[lo] as number));
  }

  /** Indices at positions [from, to), in order. */
  *slice(from: number, to: number): Generator<number> {
    const end = Math.min(to, this.count);
    if (from >= end) return;
    let index = this.at(from);
    let r = this.ranges.findIndex(([s, e]) => index >= s && index < e);
    for (let p = from; p < end; p++) {
      const range = this.ranges[r] as readonly [number, number];
      if (index >= range[1]) {
        r++;
        index = (this.ranges[r] as readonly [number, number])[0];
      }
      yield index;
      index++;
    }
  }

  has(index: number): boolean {
    return this.ranges.some(([s, e]) => index >= s && index < e);
  }

  /** This view without the given indices (removed records). */
  without(removed: ReadonlyArray<readonly [number, number]>): IndexView {
    if (removed.length === 0) return this;
    const holes = [...removed].sort((a, b) => a[0] - b[0]);
    const out: Array<[number, number]> = [];
    for (const [s, e] of this.ranges) {
      let cursor = s;
      for (const [hs, he] of holes) {
        if (he <= cursor || hs >= e) continue;
        if (hs > cursor) out.push([cursor, hs]);
        cursor = Math.max(cursor, he);
      }
      if (cursor < e) out.push([cursor, e]);
    }
    return new IndexView(out);
  }
}
