#!/usr/bin/env bash
# Whole-process time to the first result of `classloss loss --targets 1,0,0,0,0 --probabilities 0.1,0.5,0.1,0.1,0.2`
# (issue 12): the NativeAOT binary against the JIT build (framework-dependent publish, its apphost), median of N runs
# each (default 20), alternating the two so both see the same machine state. Prints the machine, then one line per
# build with min / median / max in milliseconds. Needs only bash, coreutils and the .NET SDK.
#   bash scripts/startup-time.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
runs=${1:-20}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet publish src/ClassLoss.Cli/ClassLoss.Cli.csproj -c Release -r linux-x64 -p:NativeAot=true -o "$out/aot" -v q --nologo > "$out/aot.log"
dotnet publish src/ClassLoss.Cli/ClassLoss.Cli.csproj -c Release -r linux-x64 --self-contained false -o "$out/jit" -v q --nologo > "$out/jit.log"
args=(loss --targets 1,0,0,0,0 --probabilities 0.1,0.5,0.1,0.1,0.2)
for build in aot jit; do
  "$out/$build/ClassLoss.Cli" "${args[@]}" | grep -q 2.30259 || { echo "$build: wrong answer"; exit 1; }
done
time_once() { # milliseconds of one run of $1
  local start end
  start=$(date +%s%N)
  "$1" "${args[@]}" > /dev/null
  end=$(date +%s%N)
  echo $(((end - start) / 1000))
}
: > "$out/aot.ms"
: > "$out/jit.ms"
for _ in $(seq 1 3); do time_once "$out/aot/ClassLoss.Cli" > /dev/null; time_once "$out/jit/ClassLoss.Cli" > /dev/null; done
for _ in $(seq 1 "$runs"); do
  time_once "$out/aot/ClassLoss.Cli" >> "$out/aot.ms"
  time_once "$out/jit/ClassLoss.Cli" >> "$out/jit.ms"
done
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
for build in aot jit; do
  sort -n "$out/$build.ms" | awk -v b="$build" -v n="$runs" '{ v[NR] = $1 } END {
    m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%s: min %.1f ms, median %.1f ms, max %.1f ms (%d runs)\n", b, v[1] / 1000, m / 1000, v[n] / 1000, n }'
done
