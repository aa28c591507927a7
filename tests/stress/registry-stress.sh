#!/usr/bin/env bash
# Registry stress: kill -9 at random moments of apply and at every failpoint, disk full at each write
# stage, and rounds of three bots racing on one bare remote with a developer pushing between rounds.
# Prints the counts; exits 1 if any torn state, duplicate version, lost commit or false success is seen.
#
#   tests/stress/registry-stress.sh [KILLS] [ROUNDS]        (defaults 50 and 20)
#
# Needs the built command: dotnet build engine/OptAIC.Cli -c Release (or set OPTAIC=/path/to/optaic).
set -uo pipefail
KILLS=${1:-50}
ROUNDS=${2:-20}
here=$(cd "$(dirname "$0")/../.." && pwd)
OPTAIC=${OPTAIC:-$here/engine/OptAIC.Cli/bin/Release/net10.0/optaic}
[ -x "$OPTAIC" ] || { echo "build first: dotnet build engine/OptAIC.Cli -c Release (no $OPTAIC)"; exit 2; }
export NO_COLOR=1
work=$(mktemp -d /tmp/optaic-stress.XXXXXX)
trap 'rm -rf "$work"' EXIT
torn=0; killed=0; finished_first=0; bad=0

# A model repository of two instances of the example, committed: the seed every round starts over from.
seed_repo() {
  local dir=$1
  mkdir -p "$dir" && cp -r "$here/specs" "$dir/specs"
  find "$dir/specs/instances" -name '*.yaml' ! -name spx-alpha.yaml ! -name spx-linear.yaml -delete
  rm -rf "$dir/specs/pipelines"
  git -C "$dir" init -q -b main && git -C "$dir" add -A && git -C "$dir" -c user.name=dev -c user.email=dev@x commit -qm seed
}

# Whole: a clean git status, verify clean, an empty plan, one version per instance, a user commit touching only its file.
check_whole() {
  local dir=$1 what=$2 ok=1
  [ -z "$(git -C "$dir" status --porcelain)" ] || { echo "  torn ($what): git status not clean"; git -C "$dir" status --short | head -5; ok=0; }
  "$OPTAIC" --repo "$dir" verify >/dev/null 2>&1 || { echo "  torn ($what): optaic verify failed"; ok=0; }
  "$OPTAIC" --repo "$dir" plan --detailed-exitcode >/dev/null 2>&1 || { echo "  torn ($what): plan not empty"; ok=0; }
  for i in spx-alpha spx-linear; do
    n=$(ls "$dir/models/$i/versions" 2>/dev/null | grep -c '\.yaml$')
    [ "$n" = 1 ] || { echo "  torn ($what): $i has $n versions"; ok=0; }
  done
  echo note >> "$dir/NOTES.md" && git -C "$dir" add NOTES.md && git -C "$dir" -c user.name=dev -c user.email=dev@x commit -qm note
  [ "$(git -C "$dir" show --name-only --format= HEAD)" = NOTES.md ] || { echo "  torn ($what): a user commit touched registry files"; ok=0; }
  [ $ok = 1 ] || torn=$((torn + 1))
}

echo "== $KILLS kill -9 at random moments of apply"
repo=$work/kills; seed_repo "$repo"; seed=$(git -C "$repo" rev-parse HEAD)
for k in $(seq 1 "$KILLS"); do
  # The README's start-over recipe: reset to the commit before the bot's.
  git -C "$repo" reset -q --hard "$seed"
  "$OPTAIC" --repo "$repo" apply --quiet >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 + (r % 600) / 100 }')"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); else finished_first=$((finished_first + 1)); fi
  wait "$pid" 2>/dev/null
  out=$("$OPTAIC" --repo "$repo" apply --quiet 2>&1) || { echo "  apply after kill $k failed: $out"; torn=$((torn + 1)); continue; }
  check_whole "$repo" "kill $k"
done
echo "   killed mid-run: $killed, finished before the kill: $finished_first"

echo "== every failpoint"
points=$(OPTAIC_FAILPOINT='?' "$OPTAIC" plan)
for p in $points; do
  git -C "$repo" reset -q --hard "$seed"
  { OPTAIC_FAILPOINT=$p "$OPTAIC" --repo "$repo" apply --quiet >/dev/null 2>&1; } 2>/dev/null; code=$?
  [ $code = 137 ] || { echo "  $p: expected a SIGKILL (137), got $code"; bad=$((bad + 1)); }
  "$OPTAIC" --repo "$repo" apply --quiet >/dev/null 2>&1 || { echo "  apply after $p failed"; torn=$((torn + 1)); continue; }
  check_whole "$repo" "$p"
done
echo "   failpoints: $(echo $points | wc -w)"

echo "== disk full at the artifact, record and commit stages"
for p in between-artifacts between-records before-commit-objects; do
  git -C "$repo" reset -q --hard "$seed"
  out=$(OPTAIC_FAILPOINT=enospc:$p "$OPTAIC" --repo "$repo" apply --quiet 2>&1); code=$?
  if [ $code != 1 ] || ! grep -q "no space left on the device" <<<"$out"; then echo "  enospc:$p: exit $code: $out"; bad=$((bad + 1)); fi
  [ "$(git -C "$repo" rev-parse HEAD)" = "$seed" ] || { echo "  enospc:$p committed something"; bad=$((bad + 1)); }
  "$OPTAIC" --repo "$repo" apply --quiet >/dev/null 2>&1 || { echo "  apply after enospc:$p failed"; torn=$((torn + 1)); continue; }
  check_whole "$repo" "enospc:$p"
done

echo "== $ROUNDS rounds of 3 bots racing on one bare remote"
bare=$work/remote.git; git init -q --bare -b main "$bare"
dev=$work/dev; seed_repo "$dev"; git -C "$dev" remote add origin "$bare"; git -C "$dev" push -q origin main
for b in 1 2 3; do git clone -q "$bare" "$work/bot$b"; done
false_success=0; lost=0; dupes=0
for r in $(seq 1 "$ROUNDS"); do
  # A developer changes a spec between rounds: a new seed each time, so each round has work to do.
  git -C "$dev" pull -q --rebase origin main
  sed -i -E "s/^(\s*seed:\s*)[0-9]+/\1$((100 + r))/" "$dev/specs/instances/spx-linear.yaml"
  echo "round $r" >> "$dev/NOTES.md"
  git -C "$dev" add -A && git -C "$dev" -c user.name=dev -c user.email=dev@x commit -qm "round $r" && git -C "$dev" push -q origin main
  devcommit=$(git -C "$dev" rev-parse HEAD)
  pids=()
  for b in 1 2 3; do
    ( cd "$work/bot$b" && git fetch -q origin && git reset -q --hard origin/main &&
      "$OPTAIC" ci reconcile --scheduled --lock-wait 600 > "$work/bot$b.log" 2>&1; echo $? > "$work/bot$b.code" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  verify=$work/verify; rm -rf "$verify"; git clone -q "$bare" "$verify"
  git -C "$verify" merge-base --is-ancestor "$devcommit" HEAD || { echo "  round $r: the developer's commit was lost"; lost=$((lost + 1)); }
  pushed=0
  for b in 1 2 3; do
    code=$(cat "$work/bot$b.code")
    if [ "$code" = 0 ] && grep -q "^Pushed:" "$work/bot$b.log"; then
      pushed=$((pushed + 1))
      c=$(grep -oE "pushed [0-9a-f]{7,}" "$work/bot$b.log" | head -1 | cut -d' ' -f2)
      git -C "$verify" merge-base --is-ancestor "$c" HEAD 2>/dev/null || { echo "  round $r: bot$b claimed $c, not on the remote"; false_success=$((false_success + 1)); }
    elif [ "$code" != 0 ]; then echo "  round $r: bot$b exit $code: $(tail -1 "$work/bot$b.log")"; bad=$((bad + 1)); fi
  done
  n=$(ls "$verify/models/spx-linear/versions" | grep -c '\.yaml$')
  [ "$n" = "$((r))" ] || { echo "  round $r: spx-linear has $n versions, expected $r"; dupes=$((dupes + 1)); }
  "$OPTAIC" --repo "$verify" verify >/dev/null 2>&1 || { echo "  round $r: verify failed on the remote's registry"; torn=$((torn + 1)); }
done
echo "   lost commits: $lost, false successes: $false_success, wrong version counts: $dupes"

echo
echo "torn states: $torn; other failures: $bad; lost commits: ${lost:-0}; false successes: ${false_success:-0}; duplicate versions: ${dupes:-0}"
[ $((torn + bad + ${lost:-0} + ${false_success:-0} + ${dupes:-0})) = 0 ]
