#!/usr/bin/env bash
# Records the public surface of the packaged libraries (src/ClassLoss, src/ClassLoss.Evaluation, src/ClassLoss.MLNet) for
# Microsoft.CodeAnalysis.PublicApiAnalyzers. The build fails (RS0016: a public symbol not in the baseline; RS0017: a
# baseline entry with no symbol) until a change to the public surface is recorded here, so every such change shows in
# review as a diff of PublicAPI.*.txt.
#   bash scripts/public-api.sh          add new symbols to PublicAPI.Unshipped.txt, drop removed ones
#   bash scripts/public-api.sh --ship   then move everything into PublicAPI.Shipped.txt (at a release)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for project in src/ClassLoss src/ClassLoss.Evaluation src/ClassLoss.MLNet src/ClassLoss.TorchSharp; do
  dotnet format analyzers "$project/$(basename "$project").csproj" --diagnostics RS0016 RS0017 RS0037 --severity warn -v q
done
if [ "${1:-}" = "--ship" ]; then
  for project in src/ClassLoss src/ClassLoss.Evaluation src/ClassLoss.MLNet src/ClassLoss.TorchSharp; do
    shipped="$project/PublicAPI.Shipped.txt" unshipped="$project/PublicAPI.Unshipped.txt"
    # A symbol removed since the last shipping is an RS0017 on its Shipped line: drop those lines (before 1.0 is
    # released nothing has shipped to users, so the baseline is rewritten rather than marked *REMOVED*).
    removed=$(dotnet build "$project/$(basename "$project").csproj" -c Release 2>&1 \
      | grep -oE 'PublicAPI\.Shipped\.txt\(([0-9]+),[0-9]+\): error RS0017' | grep -oE '\([0-9]+' | tr -d '(' | sort -un || true)
    if [ -n "$removed" ]; then
      awk 'NR == FNR { drop[$1] = 1; next } !(FNR in drop)' <(echo "$removed") "$shipped" > "$shipped.kept"
      mv "$shipped.kept" "$shipped"
    fi
    { echo '#nullable enable'; { grep -v '^#nullable' "$shipped" || true; grep -v '^#nullable' "$unshipped" || true; } | LC_ALL=C sort -u; } > "$shipped.new"
    mv "$shipped.new" "$shipped"
    echo '#nullable enable' > "$unshipped"
  done
fi
git --no-pager diff --stat -- 'src/*/PublicAPI.*.txt'
