#!/usr/bin/env bash
# The test command of README.md: the full suite, then the core tests again with SIMD disabled (scalar paths).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet test tests/ClassLoss.Tests/ClassLoss.Tests.csproj -c Release --logger "console;verbosity=minimal"
DOTNET_EnableHWIntrinsic=0 dotnet test tests/ClassLoss.Tests/ClassLoss.Tests.csproj -c Release --no-build \
  --filter "FullyQualifiedName~ClassLoss.Tests.Losses|FullyQualifiedName~ClassLoss.Tests.Activations" --logger "console;verbosity=minimal"
