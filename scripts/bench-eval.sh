#!/usr/bin/env bash
# Whole-process speed and peak memory of `classloss eval` on a generated N-row, 10-class logits CSV (issue 14),
# against pandas + scikit-learn on the same file, and optionally against an older commit of the CLI (for the CSV
# reader before/after). Each command runs RUNS times; the script prints wall seconds and maximum resident set.
#   bash scripts/bench-eval.sh                      # 3,000,000 rows, this tree, pandas if installed
#   N=10000000 RUNS=3 bash scripts/bench-eval.sh
#   BEFORE=934bdc7 bash scripts/bench-eval.sh       # also the CLI as of that commit (the hand-written CSV parser)
# Needs /usr/bin/time (Debian: time) and numpy for the generator; pandas + sklearn (python3-pandas, python3-sklearn)
# for the comparison, which is skipped without them.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
N=${N:-3000000}
RUNS=${RUNS:-3}
FILE=${FILE:-/tmp/classloss-eval-$N.csv}
[ -f "$FILE" ] || /usr/bin/python3 scripts/make_eval_file.py "$N" "$FILE"
echo "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); file $FILE ($(du -m "$FILE" | cut -f1) MB, $N rows)"

measure() { # label, command...
  local label=$1; shift
  for run in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M %U %S" -o /tmp/classloss-bench-time "$@" > /tmp/classloss-bench-out 2>&1 || { cat /tmp/classloss-bench-out; exit 1; }
    read -r wall rss user sys < /tmp/classloss-bench-time
    printf '%-28s run %d: %6.2f s wall, %6.2f s CPU, %5d MB peak   %s\n' "$label" "$run" "$wall" "$(awk "BEGIN { print $user + $sys }")" $((rss / 1024)) \
      "$(grep -E 'rows in|^rows ' /tmp/classloss-bench-out | tail -1)"
  done
  grep -E 'log loss|Brier \(multi|^│ accuracy|equal-width|log_loss' /tmp/classloss-bench-out | tr -s ' ' | head -5 || true
}

dotnet build src/ClassLoss.Cli -c Release -v q -nologo > /dev/null
measure "classloss eval (this tree)" dotnet src/ClassLoss.Cli/bin/Release/net10.0/ClassLoss.Cli.dll eval "$FILE" --values logits

if [ -n "${BEFORE:-}" ]; then
  dir=/tmp/classloss-before-$BEFORE
  if [ ! -f "$dir/src/ClassLoss.Cli/bin/Release/net10.0/ClassLoss.Cli.dll" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    git archive "$BEFORE" | tar -x -C "$dir"
    dotnet build "$dir/src/ClassLoss.Cli" -c Release -v q -nologo > /dev/null
  fi
  measure "classloss eval ($BEFORE)" dotnet "$dir/src/ClassLoss.Cli/bin/Release/net10.0/ClassLoss.Cli.dll" eval "$FILE" --values logits
fi

if /usr/bin/python3 -c "import pandas, sklearn" 2> /dev/null; then
  measure "pandas + scikit-learn" /usr/bin/python3 scripts/eval_pandas_sklearn.py "$FILE"
else
  echo "pandas + scikit-learn: skipped (apt-get install python3-pandas python3-sklearn)"
fi
