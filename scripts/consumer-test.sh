#!/usr/bin/env bash
# The consumer test (issue 12): what a user outside this repository gets.
#  1. `dotnet pack` every packable project (ClassLoss, ClassLoss.Evaluation, ClassLoss.MLNet, ClassLoss.Tool, and any
#     project added later with IsPackable) into a fresh local folder;
#  2. a new project in a temporary folder, which knows nothing of the repository (no Directory.Build.props, its own
#     nuget.config and package cache, so no stale 1.0.0 from an earlier run), restores ClassLoss from that folder and
#     runs README.md's Install snippet, whose printed numbers are checked;
#  3. `dotnet tool install --tool-path ... --add-source <folder> ClassLoss.Tool` installs the tool, and
#     `classloss --help`, `classloss loss ...` and `classloss eval ...` answer with the expected numbers.
# Prints one line per check ("ok: ..." or "FAILED: ..."), then "consumer test: Passed: N, Failed: N" (scripts/test.sh
# counts it); exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
export NUGET_PACKAGES="$work/packages"
passed=0 failed=0
check() { # check NAME TEXT EXPECTED...: TEXT contains every EXPECTED string
  local name=$1 text=$2 ok=1
  shift 2
  for want in "$@"; do
    grep -qF -- "$want" <<<"$text" || { ok=0; echo "FAILED: $name: output lacks '$want'"; }
  done
  if [ "$ok" -eq 1 ]; then passed=$((passed + 1)); echo "ok: $name"; else failed=$((failed + 1)); printf '%s\n' "$text" | head -20; fi
}

if ! dotnet pack "$repo/ClassLoss.slnx" -c Release -o "$feed" -v q --nologo > "$work/pack.log" 2>&1; then
  cat "$work/pack.log"
  echo "FAILED: dotnet pack"
  echo "consumer test: Passed: 0, Failed: 1"
  exit 1
fi
check "pack gives the packages" "$(ls "$feed")" ClassLoss.1.0.0.nupkg ClassLoss.1.0.0.snupkg ClassLoss.Evaluation.1.0.0.nupkg \
  ClassLoss.MLNet.1.0.0.nupkg ClassLoss.TorchSharp.1.0.0.nupkg ClassLoss.Tool.1.0.0.nupkg

# The consumer project: README.md's snippet (the ```csharp block after the "## Install" heading) as its Program.cs.
app="$work/consumer"
mkdir -p "$app"
cat > "$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
EOF
cat > "$app/Consumer.csproj" <<'EOF'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="ClassLoss" Version="1.0.0" />
  </ItemGroup>
</Project>
EOF
awk '/^## Install/ { section = 1 } section && /^```csharp/ { inside = 1; next } inside && /^```/ { exit } inside { print }' README.md > "$app/Program.cs"
check "README's Install section has a C# snippet" "$(cat "$app/Program.cs")" "using ClassLoss.Losses;"
# Expected: mean CE of logits (2, 0.5, -1) with label 0 and (0.1, 1.5, 0.3) with label 2 is 0.939070, and
# dL/dz[0] = (softmax(2, 0.5, -1)[0] - 1) / 2 = -0.107201 (computed independently in Python's math module).
out=$(cd "$app" && dotnet run -c Release --configfile "$work/nuget.config" 2>&1)
check "README snippet restores ClassLoss from the folder, compiles and runs" "$out" "cross-entropy 0.939070" "dL/dz[0] -0.107201"

# The tool.
tools="$work/tools"
out=$(dotnet tool install --tool-path "$tools" --add-source "$feed" --configfile "$work/nuget.config" ClassLoss.Tool --version 1.0.0 2>&1)
check "dotnet tool install ClassLoss.Tool from the folder" "$out" "classloss"
out=$("$tools/classloss" --help 2>&1)
check "classloss --help names the command classloss" "$out" "classloss [command] [options]" "loss" "eval"
# CE of p = (0.1, 0.5, 0.1, 0.1, 0.2) against class 0 is -ln 0.1 = 2.302585.
out=$("$tools/classloss" loss --targets 1,0,0,0,0 --probabilities 0.1,0.5,0.1,0.1,0.2 2>&1)
check "classloss loss answers" "$out" "2.30259"
printf 'label,p0,p1,p2\n0,0.7,0.2,0.1\n2,0.1,0.3,0.6\n1,0.2,0.5,0.3\n' > "$work/predictions.csv"
# Log loss -(ln 0.7 + ln 0.6 + ln 0.5) / 3 = 0.520216; Brier ((0.09+0.04+0.01) + (0.01+0.09+0.16) + (0.04+0.25+0.09)) / 3 = 0.26.
out=$("$tools/classloss" eval "$work/predictions.csv" 2>&1)
check "classloss eval answers" "$out" "0.520216" "0.26"
out=$("$tools/classloss" eval "$work/missing.csv" 2>&1 >/dev/null; echo "exit $?")
check "classloss eval of a missing file fails with one line on stderr" "$out" "missing.csv" "exit 1"

echo "consumer test: Passed: $passed, Failed: $failed"
[ "$failed" -eq 0 ]
