#!/usr/bin/env bash
# The large-vocabulary head (issue 13): each case in its own process (so its peak RSS is its own), alternating,
# forward + backward with gradients for h, W and b. Cases: torch (libtorch: linear + cross_entropy + backward), naive
# (ours on materialised logits), fused and recompute (LinearCrossEntropy's two ways), gemms (the three products
# alone, chunked as the fused head chunks: its floor).
#   bash scripts/bench-linear-head.sh [N D V] [THREADS...]      default 1024 512 32000, threads 1 2
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1024} d=${2:-512} v=${3:-32000}
shift $(( $# >= 3 ? 3 : $# ))
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)
dotnet build bench/ClassLoss.Benchmarks -c Release -v q --nologo > /dev/null
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; N=$n D=$d V=$v"
for t in "${threads[@]}"; do
  for c in gemms fused recompute naive torch; do
    dotnet bench/ClassLoss.Benchmarks/bin/Release/net10.0/ClassLoss.Benchmarks.dll --linear-head "$c" "$n" "$d" "$v" "$t" 3 | tail -n 1
  done
done
