#!/usr/bin/env bash
# Checks the deployed alert rules with promtool: syntax (check rules) and behaviour (test rules, with the
# unit tests in deploy/tests/alerts.test.yaml). Needs promtool (Debian: apt-get install prometheus).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v promtool >/dev/null || { echo "check-alerts: promtool not found (Debian: apt-get install prometheus)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node scripts/rules-from-prometheusrule.mjs deploy/base/prometheusrule.yaml "$work/rosterd.rules.yaml"
cp deploy/tests/alerts.test.yaml "$work/"
promtool check rules "$work/rosterd.rules.yaml"
(cd "$work" && promtool test rules alerts.test.yaml)
