#!/usr/bin/env bash
# Resume and rebuild behaviour of trees/raspi, checked against what each run reports.
#
#   1. fully cached rerun: nothing runs (timed)
#   2. a late node fails (agents_fail: "yes", with a release string never built before, so that
#      the fixed config is new too): the run fails in agents:seed; nothing before agents runs
#   3. the same command after the fix (agents_fail back to "no"): only agents, cleanup and the
#      image writer run; everything before them is reused
#   4. a var only the agents node declares (release) changes again: only agents, cleanup, image
#   5. back to the committed tree: agents and cleanup are found by key again (images of earlier
#      builds stay in the engine); only the image writer runs (its cache is the one fingerprint
#      beside out/raspi.img)
#   6. fully cached rerun again: nothing runs (timed)
#
# The tree file is edited in place for steps 2-5 and restored on exit (also on failure or Ctrl-C).
# Needs a built tree (a first `bin/stalker --config trees/raspi/raspi.hjson`). Set STALKER to use
# another CLI binary. Writes a summary to out/raspi-rebuild.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
STALKER=${STALKER:-bin/stalker}
TREE=trees/raspi/raspi.hjson
OUT=out/raspi-rebuild.txt
mkdir -p out
backup=$(mktemp)
cp "$TREE" "$backup"
trap 'cp "$backup" "$TREE"; rm -f "$backup"' EXIT
: > "$OUT"
say() { printf '%s\n' "$*" | tee -a "$OUT"; }
fail() { say "FAIL: $*"; exit 1; }

# set_var NAME VALUE: rewrite the tree-level var line `NAME: ...`
set_var() {
  grep -qE "^    $1: " "$TREE" || fail "no var $1 in $TREE"
  sed -i -E "s|^    $1: .*|    $1: \"$2\"|" "$TREE"
}

# build LABEL EXPECTED_EXIT: runs the CLI, records wall time, the summary and which steps ran
build() {
  local label=$1 want=$2 log code t0 t1
  log=$(mktemp)
  t0=$(date +%s.%N)
  set +e
  "$STALKER" --config "$TREE" > "$log" 2>&1
  code=$?
  set -e
  t1=$(date +%s.%N)
  RAN=$( (grep -oE '^  [a-z0-9_.-]+:[A-Za-z0-9_.-]+ running' "$log" || true) | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')
  SUMMARY=$( (grep -E '^(done|FAILED) in ' "$log" || true) | tail -1)
  say "$label: exit $code, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s wall; ran: ${RAN:-nothing}; $SUMMARY"
  if [ "$code" != "$want" ]; then tail -30 "$log"; rm -f "$log"; fail "$label: expected exit $want"; fi
  LOG_TEXT=$(cat "$log")
  rm -f "$log"
}

# only_nodes "a b c": every step that ran belongs to one of these nodes
only_nodes() {
  local step node
  for step in $RAN; do
    node=${step%%:*}
    [[ " $1 " == *" $node "* ]] || fail "step $step ran; expected only nodes: $1"
  done
}

say "# trees/raspi resume and rebuild check, $(date -u +%Y-%m-%dT%H:%MZ)"
build "warm-up (builds whatever is missing)" 0

build "1. cached rerun" 0
[ -z "$RAN" ] || fail "a cached rerun ran: $RAN"

stamp=$(date +%s)
set_var release "check-$stamp-a"
set_var agents_fail yes
build "2. late failure injected (agents_fail=yes, release=check-$stamp-a)" 1
only_nodes "agents"
grep -q 'agents_fail=yes: failing on purpose' <<<"$LOG_TEXT" || grep -rq 'failing on purpose' logs/raspi/agents/seed.log || fail "the failure was not the injected one"
[[ " $RAN " == *" agents:seed "* ]] || fail "agents:seed did not run"

set_var agents_fail no
build "3. same command after the fix (agents_fail=no)" 0
only_nodes "agents cleanup image"
for s in agents:seed cleanup:clean image:write; do [[ " $RAN " == *" $s "* ]] || fail "$s did not run after the fix"; done

set_var release "check-$stamp-b"
build "4. agents-only var changed (release=check-$stamp-b)" 0
only_nodes "agents cleanup image"
for s in agents:install agents:seed cleanup:clean image:write; do [[ " $RAN " == *" $s "* ]] || fail "$s did not run"; done

cp "$backup" "$TREE"
build "5. committed tree again (release=dev)" 0
only_nodes "image"

build "6. cached rerun" 0
[ -z "$RAN" ] || fail "a cached rerun ran: $RAN"
say "ok"
