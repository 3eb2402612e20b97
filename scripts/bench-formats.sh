#!/usr/bin/env bash
# Rows/s of whole `classloss eval --values logits` processes on one N-row, 10-class float32 logits data set written
# as CSV, Parquet (row groups of 131,072), Arrow IPC (file format, fixed-size lists, batches of 65,536) and .npy
# (scripts/make-eval-formats, seed 0): wall and CPU seconds, peak memory and the rows/s the CLI prints. Every format
# must print the same numbers (the CSV holds each float32 widened to double).
#   bash scripts/bench-formats.sh                # 3,000,000 rows, 3 runs each
#   N=1000000 RUNS=5 bash scripts/bench-formats.sh
# Needs /usr/bin/time (Debian: time).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
N=${N:-3000000}
RUNS=${RUNS:-3}
DIR=${DIR:-/tmp/classloss-formats-$N}
if [ ! -f "$DIR/labels.npy" ]; then
  dotnet run --project scripts/make-eval-formats -c Release -- "$N" "$DIR"
fi
dotnet build src/ClassLoss.Cli -c Release -v q -nologo > /dev/null
echo "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $N rows x 10 logits"
cli=src/ClassLoss.Cli/bin/Release/net10.0/ClassLoss.Cli.dll
for run in $(seq "$RUNS"); do
  for format in csv parquet arrow npy; do
    file=$DIR/preds.$format
    extra=(); [ "$format" = npy ] && extra=(--labels "$DIR/labels.npy")
    /usr/bin/time -f "%e %M %U %S" -o /tmp/classloss-bench-time dotnet "$cli" eval "$file" --values logits --json "${extra[@]}" > /tmp/classloss-bench-out
    read -r wall rss user sys < /tmp/classloss-bench-time
    rps=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["rows_per_second"])' /tmp/classloss-bench-out)
    numbers=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(" ".join(f"{k} {d[k]!r}" for k in ("log_loss", "brier", "accuracy", "ece")))' /tmp/classloss-bench-out)
    printf '%-8s run %d: %6.2f s wall, %6.2f s CPU, %5d MB peak, %9.0f rows/s (in-process), %4d MB file   %s\n' "$format" "$run" "$wall" \
      "$(awk "BEGIN { print $user + $sys }")" $((rss / 1024)) "$rps" "$(du -m "$file" | cut -f1)" "$numbers"
  done
done
