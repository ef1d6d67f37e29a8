#!/usr/bin/env node
// Writes the rule groups of a PrometheusRule manifest as a plain Prometheus rules file, so promtool can
// check and unit-test the very rules that are deployed (promtool does not read the operator's CRD).
// Usage: node scripts/rules-from-prometheusrule.mjs deploy/base/prometheusrule.yaml OUT.rules.yaml
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: rules-from-prometheusrule.mjs PROMETHEUSRULE.yaml OUT.rules.yaml');
  process.exit(2);
}
const rules = parseAllDocuments(readFileSync(input, 'utf8'))
  .map((d) => d.toJS())
  .filter((o) => o && o.kind === 'PrometheusRule');
if (rules.length !== 1) {
  console.error(`${input}: expected exactly one PrometheusRule, found ${rules.length}`);
  process.exit(1);
}
writeFileSync(output, `# GENERATED from ${input} by scripts/rules-from-prometheusrule.mjs\n${stringify({ groups: rules[0].spec.groups })}`);
