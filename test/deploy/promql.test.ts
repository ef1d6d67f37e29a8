import { describe, expect, it } from 'vitest';
import { dashboardExpressions, exposedSampleNames, metricNames } from './promql.js';

describe('metricNames', () => {
  it('finds the selected metrics and nothing else', () => {
    expect(metricNames('sum by (integration, job) (increase(rosterd_sync_runs_total{result="failed", integration=~"$integration"}[2h])) > 0')).toEqual(['rosterd_sync_runs_total']);
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(rosterd_oneroster_request_duration_seconds_bucket[$__rate_interval])))')).toEqual(['rosterd_oneroster_request_duration_seconds_bucket']);
    expect(metricNames('(time() - a_seconds) > 26 * 3600 and on (namespace, integration, job) b_timestamp unless ignoring(x) c')).toEqual(['a_seconds', 'b_timestamp', 'c']);
    expect(metricNames('count by (version) (rosterd_build_info) * 1e3 offset 5m')).toEqual(['rosterd_build_info']);
  });

  it('does not take label values or strings for metric names', () => {
    expect(metricNames('x{code!~"2..", job="rosterd_not_a_metric"}')).toEqual(['x']);
  });
});

describe('exposedSampleNames', () => {
  it('lists sample names, histograms with their suffixes', () => {
    const text = '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 0\nh_sum 0\nh_count 0\ng{a="b"} 1\n';
    expect([...exposedSampleNames(text)].sort()).toEqual(['g', 'h_bucket', 'h_count', 'h_sum']);
  });
});

describe('dashboardExpressions', () => {
  it('walks nested panels and variable queries', () => {
    const d = {
      panels: [{ targets: [{ expr: 'a' }] }, { type: 'row', panels: [{ targets: [{ expr: 'b' }] }] }],
      templating: { list: [{ type: 'query', query: { query: 'label_values(c, integration)' } }, { type: 'datasource', query: 'prometheus' }] },
    };
    expect(dashboardExpressions(d)).toEqual(['a', 'b', 'c']);
  });
});
