using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ClassLoss.Benchmarks;

/// <summary>
/// In-process jobs only: the patched libLibTorchSharp.so (see build/weaken_glibcxx.py) lives in this project's
/// output, and an out-of-process BenchmarkDotNet build would copy the unpatched one from the package.
/// </summary>
public static class BenchConfig
{
    /// <summary>The job: a short one for <c>--quick</c>, else BenchmarkDotNet's default, both in process.</summary>
    public static IConfig Create(bool quick)
    {
        var job = quick
            ? Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5)
                .WithIterationTime(TimeInterval.FromMilliseconds(150)).WithId("Quick")
            : Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithId("InProcess");
        return DefaultConfig.Instance
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.Median)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
    }
}
