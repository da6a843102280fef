#!/usr/bin/env bash
# Delete network namespaces left behind by a killed kernel-test run.
# Only names of the harness's own form (np<digits>[letters]-…) are touched, and
# only with the prefix given, e.g. `scripts/netns/cleanup.sh np12345-`;
# `--all-runs` removes every np<digits>-… namespace (never anything else).
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 np<pid>- | --all-runs" >&2
  exit 2
fi
if [[ "$1" == "--all-runs" ]]; then
  pattern='^np[0-9]+[a-z]*-'
elif [[ "$1" =~ ^np[0-9]+[a-z]*-$ ]]; then
  pattern="^$1"
else
  echo "refusing prefix '$1': expected np<pid>-" >&2
  exit 2
fi
ip netns list | awk '{print $1}' | { grep -E "$pattern" || true; } | while read -r ns; do
  ip netns del "$ns" && echo "deleted $ns"
done
