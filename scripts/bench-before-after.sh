#!/usr/bin/env bash
# Before/after figures for one shape: builds the benchmark of two commits (each its own code) and runs their probes
# alternately, BEFORE then AFTER, PAIRS times on this machine, then prints one Markdown table of the medians over the
# pairs of each probe's per-case median, with after/before. The probe uses the public API only, so both trees get this
# checkout's bench/ClassLoss.Benchmarks/Probe.cs (the same cases on both sides); both commits must have the probe's
# entry point (`--probe N K ROUNDS`, 0e67995 or later).
#
#   scripts/bench-before-after.sh BEFORE [AFTER=HEAD] [N=4096] [K=1000] [PAIRS=5] [ROUNDS=20]
#   PROBE_TORCH=1 scripts/bench-before-after.sh 0e67995      # adds libtorch's CE and BCE to both runs
#   SHAPES="256x10 4096x10 4096x1000 1024x32000 128x128000" scripts/bench-before-after.sh 0e67995 HEAD - - 5 20
#                                                            # the matrix's shapes, one table each (N and K ignored)
#
# Run it on a quiet machine (nothing else building or testing): the two cores are shared by everything.
set -euo pipefail
before=${1:?usage: bench-before-after.sh BEFORE [AFTER] [N] [K] [PAIRS] [ROUNDS]}
after=${2:-HEAD}
n=${3:-4096}
k=${4:-1000}
pairs=${5:-5}
rounds=${6:-20}

root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'for d in "$work"/before "$work"/after; do [ -d "$d" ] && git -C "$root" worktree remove --force "$d" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT

for side in before after; do
  rev=${before}; [ "$side" = after ] && rev=${after}
  git -C "$root" worktree add --detach "$work/$side" "$rev" >/dev/null 2>&1
  cp "$root/bench/ClassLoss.Benchmarks/Probe.cs" "$work/$side/bench/ClassLoss.Benchmarks/Probe.cs"
  (cd "$work/$side" && dotnet build bench/ClassLoss.Benchmarks -c Release -v q -nologo >/dev/null)
done

dll=bench/ClassLoss.Benchmarks/bin/Release/net10.0/ClassLoss.Benchmarks.dll
for shape in ${SHAPES:-${n}x${k}}; do
n=${shape%x*}
k=${shape#*x}
rm -f "$work"/before.*.txt "$work"/after.*.txt
for ((p = 1; p <= pairs; p++)); do
  for side in before after; do
    (cd "$work/$side" && dotnet "$dll" --probe "$n" "$k" "$rounds") > "$work/$side.$p.txt"
  done
  echo "${n}x${k}: pair $p of $pairs done" >&2
done

echo "Before $(git -C "$root" rev-parse --short "$before"), after $(git -C "$root" rev-parse --short "$after"); ${n}x${k};" \
  "$pairs alternating pairs of probes, $rounds rounds each; median over the pairs of each probe's median (ms);" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores," \
  "$(grep -qw avx512f /proc/cpuinfo && echo AVX-512 || echo 'no AVX-512 (AVX2 path)')."
echo
echo "| case | before (ms) | after (ms) | after / before |"
echo "|---|---:|---:|---:|"
# Each probe line: NAME... VALUE ms ( MIN ) ...; collect VALUE per case and side, print the medians in probe order.
awk '
  FNR == 1 { side = (FILENAME ~ /\/before\./) ? "b" : "a" }
  {
    for (i = 2; i <= NF; i++) if ($i == "ms" && $(i - 1) ~ /^[0-9.]+$/) {
      name = $1; for (j = 2; j < i - 1; j++) name = name " " $j
      if (!(name in seen)) { seen[name] = 1; order[++cases] = name }
      v[side, name, ++c[side, name]] = $(i - 1)
      break
    }
  }
  function median(s, name,   m, x, y, t, a) {
    m = c[s, name]; if (m == 0) return ""
    for (x = 1; x <= m; x++) a[x] = v[s, name, x]
    for (x = 1; x <= m; x++) for (y = x + 1; y <= m; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  END {
    for (q = 1; q <= cases; q++) {
      name = order[q]; b = median("b", name); a = median("a", name)
      ratio = (b != "" && a != "" && b > 0) ? sprintf("%.2f", a / b) : "–"
      printf "| %s | %s | %s | %s |\n", name, (b == "" ? "–" : sprintf("%.4f", b)), (a == "" ? "–" : sprintf("%.4f", a)), ratio
    }
  }' "$work"/before.*.txt "$work"/after.*.txt
echo
done
