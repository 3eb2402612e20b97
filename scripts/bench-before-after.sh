#!/usr/bin/env bash
# Before/after figures: builds the benchmark of two commits (each with its own ClassLoss) and times their probes
# interleaved in one process (bench's `--ab`, ProbeAb.cs): each build is loaded into its own AssemblyLoadContext,
# every round times each case on both sides back to back (alternating which goes first), and the table reports the
# medians per call and the median of the per-round after/before ratios. Sharing one process and one stretch of time
# removes what separate processes leave to chance on a shared VM (clock state, the other core's load, heap
# placement: ±10-30% between processes here). The probe uses the public API only, so both trees get this checkout's
# bench/ClassLoss.Benchmarks/Probe.cs (the same cases on both sides); any commit from 0e67995 on builds with it.
#
#   scripts/bench-before-after.sh BEFORE [AFTER=HEAD] [ROUNDS=30]
#   SHAPES="4096x10 4096x1000" scripts/bench-before-after.sh 0e67995      # default: the loss matrix's five shapes
#
# Run it on a quiet machine (nothing else building or testing): the two cores are shared by everything.
set -euo pipefail
before=${1:?usage: bench-before-after.sh BEFORE [AFTER] [ROUNDS]}
after=${2:-HEAD}
rounds=${3:-30}
shapes=${SHAPES:-256x10 4096x10 4096x1000 1024x32000 128x128000}

root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'for d in "$work"/before "$work"/after; do [ -d "$d" ] && git -C "$root" worktree remove --force "$d" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT

dll=bench/ClassLoss.Benchmarks/bin/Release/net10.0/ClassLoss.Benchmarks.dll
for side in before after; do
  rev=${before}; [ "$side" = after ] && rev=${after}
  git -C "$root" worktree add --detach "$work/$side" "$rev" >/dev/null 2>&1
  cp "$root/bench/ClassLoss.Benchmarks/Probe.cs" "$work/$side/bench/ClassLoss.Benchmarks/Probe.cs"
  (cd "$work/$side" && dotnet build bench/ClassLoss.Benchmarks -c Release -v q -nologo >/dev/null)
done
(cd "$root" && dotnet build bench/ClassLoss.Benchmarks -c Release -v q -nologo >/dev/null) # the host: this checkout's ProbeAb

echo "Before $(git -C "$root" rev-parse --short "$before"), after $(git -C "$root" rev-parse --short "$after");" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores," \
  "$(grep -qw avx512f /proc/cpuinfo && echo AVX-512 || echo 'no AVX-512 (AVX2 path)'); $(dotnet --version | sed 's/^/.NET SDK /')."
echo
for shape in $shapes; do
  (cd "$root" && dotnet "$dll" --ab "$work/before/$dll" "$work/after/$dll" "${shape%x*}" "${shape#*x}" "$rounds")
  echo
done
