#!/usr/bin/env bash
# The CSV read alone (no metrics), this tree's ClassLoss.Evaluation (Sep) vs an older commit's (default 934bdc7, the
# hand-written parser), alternating runs on the same file. Prints rows/s and MB/s per run; the checksums must agree.
#   bash scripts/bench-csv-read.sh                 # 3,000,000 rows x 10 logits, 3 runs each
#   N=1000000 RUNS=5 BEFORE=934bdc7 bash scripts/bench-csv-read.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
N=${N:-3000000}
RUNS=${RUNS:-3}
BEFORE=${BEFORE:-934bdc7}
FILE=${FILE:-/tmp/classloss-eval-$N.csv}
[ -f "$FILE" ] || /usr/bin/python3 scripts/make_eval_file.py "$N" "$FILE"
echo "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); file $FILE ($(du -m "$FILE" | cut -f1) MB)"

dotnet build src/ClassLoss.Evaluation -c Release -v q -nologo > /dev/null
after_bin=$PWD/src/ClassLoss.Evaluation/bin/Release/net10.0
before_dir=/tmp/classloss-before-$BEFORE
if [ ! -f "$before_dir/src/ClassLoss.Evaluation/bin/Release/net10.0/ClassLoss.Evaluation.dll" ]; then
  rm -rf "$before_dir" && mkdir -p "$before_dir"
  git archive "$BEFORE" | tar -x -C "$before_dir"
  dotnet build "$before_dir/src/ClassLoss.Evaluation" -c Release -v q -nologo > /dev/null
fi
before_bin=$before_dir/src/ClassLoss.Evaluation/bin/Release/net10.0
for side in after before; do
  bin=${side}_bin
  sep=false; [ -f "${!bin}/../../../ClassLoss.Evaluation.csproj" ] && grep -q '"Sep"' "${!bin}/../../../ClassLoss.Evaluation.csproj" && sep=true
  dotnet build scripts/csv-read-bench -c Release -v q -nologo -p:EvaluationBin="${!bin}" -p:WithSep=$sep -o "/tmp/classloss-csv-read-$side" > /dev/null
done
for run in $(seq "$RUNS"); do
  printf 'run %d  %-8s %s\n' "$run" "this tree" "$(dotnet /tmp/classloss-csv-read-after/csv-read-bench.dll "$FILE")"
  printf 'run %d  %-8s %s\n' "$run" "$BEFORE" "$(dotnet /tmp/classloss-csv-read-before/csv-read-bench.dll "$FILE")"
done
