/**
 * Just enough PromQL reading to list the metric names an expression selects, so the dashboard's and the
 * alerts' queries can be checked against a real /metrics scrape. Not a parser: it removes what cannot be a
 * metric name (strings, label matchers, ranges, grouping clauses, Grafana variables, function calls,
 * keywords, numbers) and keeps the identifiers that are left.
 */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

export function metricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // string literals
    .replace(/\{[^{}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery selectors
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping label lists
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables
  s = s.replace(/\b(\d+(ms|s|m|h|d|w|y))+\b/g, ' '); // durations (offset 5m)
  s = s.replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = s.slice((m.index ?? 0) + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function or aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names].sort();
}

/** Sample names in a Prometheus text exposition (histograms appear as _bucket, _sum and _count). */
export function exposedSampleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Every `expr` in a Grafana dashboard (panels, rows' panels) and every variable query. */
export function dashboardExpressions(dashboard: { panels?: unknown[]; templating?: { list?: unknown[] } }): string[] {
  const exprs: string[] = [];
  const walk = (panels: unknown[] | undefined) => {
    for (const p of panels ?? []) {
      const panel = p as { targets?: { expr?: string }[]; panels?: unknown[] };
      for (const t of panel.targets ?? []) if (t.expr) exprs.push(t.expr);
      walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    const q = (v as { type?: string; query?: unknown }).query;
    if ((v as { type?: string }).type !== 'query') continue;
    const text = typeof q === 'string' ? q : (q as { query?: string } | undefined)?.query;
    const inner = text && /label_values\(\s*([^,)]+)/.exec(text);
    if (inner) exprs.push(inner[1]!.trim());
  }
  return exprs;
}
