/** "Did you mean" for unknown keys: the known name within edit distance 2, or one the typo is a prefix of (or vice versa). */
export function closestName(typo: string, known: readonly string[]): string | undefined {
  const lower = typo.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const d = editDistance(lower, name.toLowerCase());
    if (d <= 2 && (!best || d < best.distance)) best = { name, distance: d };
  }
  if (best) return best.name;
  if (lower.length >= 3) {
    return known.find((name) => name.toLowerCase().startsWith(lower) || lower.startsWith(name.toLowerCase()));
  }
  return undefined;
}

/** Levenshtein distance (small strings only: config keys). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      prev[j] = Math.min(above + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = above;
    }
  }
  return prev[b.length]!;
}
