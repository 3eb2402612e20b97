#!/usr/bin/env bash
# The test command of README.md: the full suite (and the adapters' suites), then the kernel tests again with hardware intrinsics disabled
# (scalar paths) and with AVX-512 and AVX2 off (narrower vector paths); the ML.NET adapter's tests run in the first pass
# only. Ends with one line "tests: N passed, N failed".
# The first pass runs the fuzz tests (ClassLoss.Tests.Fuzz) once with their fixed budget of ~100,000 cases; each width
# rerun also runs the fused kernels' fuzz tests with a tenth of it (docs/testing.md).
# Last, the consumer test of the packages and the dotnet tool (scripts/consumer-test.sh). Installs Debian's chromium first
# when it is missing (the experiments' HTML report is tested in headless Chromium), and Debian's python3-dask (the Dask
# merge test of eval's partial results).
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
status=0
# The HTML report's browser test needs headless Chromium (Debian's chromium); install it when absent (root + apt).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium for the HTML report's browser test"
  { apt-get install -y --no-install-recommends chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }; } >/dev/null 2>&1 \
    || echo "could not install chromium: the browser test will say so"
fi
# The partial-results test maps `classloss eval --partial` over shards on a Dask LocalCluster (Debian's python3-dask and
# python3-distributed); install them when absent.
if ! /usr/bin/python3 -c "import dask.distributed" >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's python3-dask and python3-distributed for the Dask merge test"
  { apt-get install -y --no-install-recommends python3-dask python3-distributed || { apt-get update && apt-get install -y --no-install-recommends python3-dask python3-distributed; }; } >/dev/null 2>&1 \
    || echo "could not install python3-dask: the Dask merge test will say so"
fi
width_fuzz=10000
dotnet test tests/ClassLoss.Tests/ClassLoss.Tests.csproj -c Release --logger "console;verbosity=minimal" 2>&1 | tee "$log" || status=1
# The ML.NET adapter's tests (ClassLoss.MLNet: finite differences, agreement with ML.NET's losses, SDCA duals, Fashion-MNIST
# training with ML.NET's trainers), first pass only: the adapter has no vector paths of its own to rerun.
dotnet test tests/ClassLoss.MLNet.Tests/ClassLoss.MLNet.Tests.csproj -c Release --logger "console;verbosity=minimal" 2>&1 | tee -a "$log" || status=1
# The TorchSharp adapter's tests (against TorchSharp's own losses, through autograd and an MLP, a short training run);
# libtorch comes with TorchSharp-cpu and loads on Debian 12 through the adapter's buildTransitive GLIBCXX fix.
dotnet test tests/ClassLoss.TorchSharp.Tests/ClassLoss.TorchSharp.Tests.csproj -c Release --logger "console;verbosity=minimal" 2>&1 | tee -a "$log" || status=1
if [ "$status" -eq 0 ]; then
  DOTNET_EnableHWIntrinsic=0 CLASSLOSS_FUZZ_ITERATIONS="$width_fuzz" dotnet test tests/ClassLoss.Tests/ClassLoss.Tests.csproj -c Release --no-build \
    --filter "FullyQualifiedName~ClassLoss.Tests.Losses|FullyQualifiedName~ClassLoss.Tests.Activations|FullyQualifiedName~ClassLoss.Tests.Numerics|FullyQualifiedName~ClassLoss.Tests.Oracle|FullyQualifiedName~ClassLoss.Tests.Training.MlpTests|FullyQualifiedName~ClassLoss.Tests.Fuzz.Fused" \
    --logger "console;verbosity=minimal" 2>&1 | tee -a "$log" || status=1
fi
if [ "$status" -eq 0 ]; then
  # The fused kernel's Vector256 and Vector128 paths (AVX-512, then AVX2 switched off).
  for flag in DOTNET_EnableAVX512F DOTNET_EnableAVX2; do
    env "$flag=0" CLASSLOSS_FUZZ_ITERATIONS="$width_fuzz" dotnet test tests/ClassLoss.Tests/ClassLoss.Tests.csproj -c Release --no-build \
      --filter "FullyQualifiedName~ClassLoss.Tests.Numerics|FullyQualifiedName~ClassLoss.Tests.Oracle|FullyQualifiedName~ClassLoss.Tests.Training.MlpTests|FullyQualifiedName~ClassLoss.Tests.Fuzz.Fused" \
      --logger "console;verbosity=minimal" 2>&1 | tee -a "$log" || status=1
  done
fi
if [ "$status" -eq 0 ]; then
  # The consumer test: pack everything, restore ClassLoss and run README's snippet in a project outside the repo,
  # install the tool from the packed folder and run `classloss loss` / `classloss eval` (scripts/consumer-test.sh).
  bash scripts/consumer-test.sh 2>&1 | tee -a "$log" || status=1
fi
passed=$(grep -oE "Passed: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE "Failed: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ] || status=1
exit "$status"
