using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The fused float kernels through the public API, with a check that the options are ones the fused kernel covers
/// (so a test meant for the fused path cannot silently compare the generic path with itself).
/// </summary>
internal static class FusedPaths
{
    /// <summary>Class-index cross-entropy on the fused path with <paramref name="maxThreads"/> threads.</summary>
    public static LossResult CrossEntropy(ReadOnlySpan<float> z, ReadOnlySpan<int> y, int k, SoftmaxCrossEntropyOptions o,
        Span<float> g, Span<float> rows, int maxThreads = 1)
    {
        Assert.True(CrossEntropyIndexKernel.Covers(o.WeightSpan, o.LabelSmoothing), "the fused kernel must cover these options");
        return SoftmaxCrossEntropy.Evaluate(z, y, k, o.MaxDegreeOfParallelism == maxThreads ? o : o with { MaxDegreeOfParallelism = maxThreads }, g, rows);
    }

    /// <summary>Class-index cross-entropy with the default weights, smoothing and temperature, on the fused path.</summary>
    public static LossResult CrossEntropy(ReadOnlySpan<float> z, ReadOnlySpan<int> y, int k, Reduction reduction, EmptyMean whenEmpty,
        int ignoreIndex, Span<float> g, Span<float> rows, int maxThreads = 1) =>
        CrossEntropy(z, y, k, new SoftmaxCrossEntropyOptions { Reduction = reduction, WhenEmpty = whenEmpty, IgnoreIndex = ignoreIndex }, g, rows, maxThreads);

    /// <summary>Probability-target cross-entropy on the fused path with <paramref name="maxThreads"/> threads.</summary>
    public static LossResult SoftTargets(ReadOnlySpan<float> z, ReadOnlySpan<float> t, int k, SoftmaxCrossEntropyOptions o,
        Span<float> g, Span<float> rows, int maxThreads = 1)
    {
        Assert.True(CrossEntropySoftKernel.Covers(o.WeightSpan), "the fused kernel must cover these options");
        return SoftmaxCrossEntropy.Evaluate(z, t, k, o.MaxDegreeOfParallelism == maxThreads ? o : o with { MaxDegreeOfParallelism = maxThreads }, g, rows);
    }
}
