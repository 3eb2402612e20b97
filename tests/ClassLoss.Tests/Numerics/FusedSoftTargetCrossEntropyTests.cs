using System.Numerics;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The fused float kernel for probability (soft) targets, with smoothing, temperature and class weights, against the
/// generic double kernel (itself checked against PyTorch golden files and finite differences) on the same inputs, and
/// its fused target validation against the generic validation's exceptions.
/// </summary>
public class FusedSoftTargetCrossEntropyTests
{
    internal static IEnumerable<SoftmaxCrossEntropyOptions> OptionSets(int k, Reduction reduction, int seed)
    {
        double[] w = Weights(k, seed);
        foreach (double eps in new[] { 0.0, 0.1, 1.0 })
        {
            yield return new SoftmaxCrossEntropyOptions { LabelSmoothing = eps, Reduction = reduction };
            yield return new SoftmaxCrossEntropyOptions { LabelSmoothing = eps, Temperature = 0.6, Reduction = reduction };
            yield return new SoftmaxCrossEntropyOptions { LabelSmoothing = eps, ClassWeights = w, Reduction = reduction };
            yield return new SoftmaxCrossEntropyOptions { LabelSmoothing = eps, ClassWeights = w, Temperature = 3.0, Reduction = reduction };
        }
    }

    /// <summary>Positive weights in [0.2, 3) with a zero weight every 7th class.</summary>
    internal static double[] Weights(int k, int seed)
    {
        var rng = new Random(seed);
        var w = new double[k];
        for (int c = 0; c < k; c++)
        {
            w[c] = c % 7 == 3 ? 0.0 : 0.2 + 2.8 * rng.NextDouble();
        }

        return w;
    }

    /// <summary>Random probability rows in float; every third row one-hot, every fourth with zeros in it.</summary>
    internal static float[] Targets(int seed, int n, int k)
    {
        float[] t = Reference.ToFloat(Reference.RandomProbabilities(seed, n, k));
        var rng = new Random(seed + 1);
        for (int i = 0; i < n; i++)
        {
            var row = t.AsSpan(i * k, k);
            if (i % 3 == 1)
            {
                row.Clear();
                row[rng.Next(k)] = 1f;
            }
            else if (i % 4 == 2 && k > 2)
            {
                row.Clear();
                row[0] = 0.25f;
                row[k - 1] = 0.75f;
            }
        }

        return t;
    }

    private static string Describe(SoftmaxCrossEntropyOptions o) =>
        $"eps={o.LabelSmoothing} tau={o.Temperature} weighted={o.ClassWeights is not null} {o.Reduction}";

    /// <summary>As <c>FusedCrossEntropyOptionsTests.AssertMatchesGeneric</c>, for probability targets.</summary>
    internal static void AssertMatchesGeneric(float[] z, float[] t, int k, SoftmaxCrossEntropyOptions o, int threads = 1, double valueFloor = 1e-3)
    {
        int n = z.Length / k;
        var g = new float[z.Length];
        var rows = new float[n];
        var viaApi = new float[z.Length];
        var r = FusedPaths.SoftTargets(z, t, k, o, g, rows, threads);
        var api = SoftmaxCrossEntropy.Evaluate<float>(z, t, k, o, viaApi, default);
        Assert.Equal(r.Value, api.Value);
        Assert.True(g.AsSpan().SequenceEqual(viaApi), Describe(o));

        var gd = new double[z.Length];
        var rowsD = new double[n];
        var d = SoftmaxCrossEntropy.Evaluate<double>(Reference.ToDouble(z), Reference.ToDouble(t), k, o, gd, rowsD);
        var gf = new float[z.Length];
        var rowsF = new float[n];
        SoftmaxCrossEntropy.EvaluateGeneric<float>(z, t, k, o, gf, rowsF);

        Assert.Equal(d.Denominator, r.Denominator);
        FusedCrossEntropyOptionsTests.AssertClose(r.Value, d.Value, $"{Describe(o)} k={k}: value", valueFloor);
        double maxW = o.ClassWeights is null ? 1.0 : Math.Max(1.0, o.ClassWeights.Max());
        double gScale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, n, n) / o.Temperature * maxW;
        FusedCrossEntropyOptionsTests.AssertRowsMatch(Describe(o), k, n, g, rows, gd, rowsD, gf, rowsF, gScale);
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    [InlineData(Reduction.BatchMean)]
    public void ValueAndGradient_MatchDoubleKernel_ForEveryRowLengthUpTo3xVectorWidth(Reduction reduction)
    {
        int max = 3 * Math.Max(Vector512<float>.Count, Vector<float>.Count) + 1;
        for (int k = 1; k <= max; k++)
        {
            const int n = 7;
            float[] z = Reference.ToFloat(Reference.RandomLogits(k, n * k, 5.0));
            float[] t = Targets(k + 50, n, k);
            foreach (var o in OptionSets(k, reduction, k))
            {
                AssertMatchesGeneric(z, t, k, o);
            }
        }
    }

    [Theory]
    [InlineData(64, 1000, Reduction.Mean)]
    [InlineData(8, 5000, Reduction.Sum)]
    [InlineData(3, 70000, Reduction.None)]
    [InlineData(300, 10, Reduction.Mean)]
    public void ValueAndGradient_MatchDoubleKernel_ForLargeShapes(int n, int k, Reduction reduction)
    {
        float[] z = Reference.ToFloat(Reference.RandomLogits(n + k, n * k, 8.0));
        float[] t = Targets(n, n, k);
        foreach (var o in OptionSets(k, reduction, n))
        {
            AssertMatchesGeneric(z, t, k, o);
        }
    }

    [Fact]
    public void TargetsEqualToTheSoftmax_GiveANearZeroGradient_WithinFloatResolution()
    {
        // The well-fit case: p_c Σt - t_c cancels for every class.
        const int n = 5, k = 333;
        float[] z = Reference.ToFloat(Reference.RandomLogits(31, n * k, 4.0));
        var t = new float[z.Length];
        for (int i = 0; i < n; i++)
        {
            double[] ls = Reference.LogSoftmax(Reference.ToDouble(z[(i * k)..((i + 1) * k)]));
            for (int c = 0; c < k; c++)
            {
                t[i * k + c] = (float)Math.Exp(ls[c]);
            }
        }

        AssertMatchesGeneric(z, t, k, new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum });
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1024)]
    [InlineData(5000)]
    public void OneLargeLogitAndManyEqualOthers_OneLargeTargetAndManyEqualOthers_MatchDoubleKernel(int k)
    {
        var t = new float[2 * k];
        Array.Fill(t, 0.1f / (k - 1));
        t[0] = 0.9f;
        t.AsSpan(k, k).Fill(1f / k);
        foreach (float b in new[] { -1.37f, -5.3f, 2.1f })
        {
            foreach (var o in OptionSets(k, Reduction.Mean, 5))
            {
                AssertMatchesGeneric(FusedCrossEntropyOptionsTests.OneLargeManyEqual(k, b), t, k, o);
            }
        }
    }

    [Fact]
    public void HugeLogits_PlusMinus1e4_MatchDoubleKernel()
    {
        const int n = 9, k = 37;
        var rng = new Random(5);
        var z = new float[n * k];
        for (int j = 0; j < z.Length; j++)
        {
            z[j] = rng.Next(3) switch { 0 => 1e4f, 1 => -1e4f, _ => (float)(rng.NextDouble() * 2e4 - 1e4) };
        }

        float[] t = Targets(6, n, k);
        foreach (var o in OptionSets(k, Reduction.Sum, 3))
        {
            AssertMatchesGeneric(z, t, k, o);
        }
    }

    [Fact]
    public void NonFiniteLogits_MaskedNaNAndInfinite_GiveWhatTheGenericPathGives()
    {
        const int n = 7, k = 40;
        float[] z = Reference.ToFloat(Reference.RandomLogits(7, n * k));
        float[] t = Targets(8, n, k);
        float moved = 0;
        for (int c = 0; c < k; c++)
        {
            // Row 0: masked classes with zero target (finite loss); row 1: a masked class with positive target (∞).
            if (c % 3 == 1)
            {
                z[c] = float.NegativeInfinity;
                moved += t[c];
                t[c] = 0f;
            }

            t[k + c] = 1f / k;
            z[2 * k + c] = float.NegativeInfinity; // row 2: all masked
        }

        t[0] += moved;
        z[k + 5] = float.NegativeInfinity;
        z[3 * k + 9] = float.NaN;
        z[4 * k + 30] = float.PositiveInfinity;
        z[5 * k + 5] = 3e38f;
        z[5 * k + 6] = -3e38f; // row 5: z - max overflows float
        z[6 * k + 3] = float.NegativeInfinity; // row 6: masked class of weight 0 (3 % 7 == 3)
        foreach (var reduction in new[] { Reduction.None, Reduction.Mean })
        {
            foreach (var o in OptionSets(k, reduction, 9))
            {
                AssertMatchesGeneric(z, t, k, o with { TargetSumTolerance = 1e-3 });
            }
        }

        var rows = new float[n];
        SoftmaxCrossEntropy.Evaluate<float>(z, t, k, new SoftmaxCrossEntropyOptions { TargetSumTolerance = 1e-3 }, default, rows);
        Assert.True(float.IsFinite(rows[0]), $"{rows[0]}");
        Assert.True(float.IsPositiveInfinity(rows[1]), $"{rows[1]}");
    }

    [Fact]
    public void Result_IsBitIdentical_For1And2Threads()
    {
        const int n = 1000, k = 300;
        float[] z = Reference.ToFloat(Reference.RandomLogits(11, n * k, 6.0));
        float[] t = Targets(12, n, k);
        foreach (var o in OptionSets(k, Reduction.Mean, 12))
        {
            var g1 = new float[z.Length];
            var g2 = new float[z.Length];
            var r1 = new float[n];
            var r2 = new float[n];
            var a = FusedPaths.SoftTargets(z, t, k, o, g1, r1, maxThreads: 1);
            var b = FusedPaths.SoftTargets(z, t, k, o, g2, r2, maxThreads: 2);
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.Value), BitConverter.DoubleToInt64Bits(b.Value));
            Assert.True(g1.AsSpan().SequenceEqual(g2), Describe(o));
            Assert.True(r1.AsSpan().SequenceEqual(r2), Describe(o));
        }

        AssertMatchesGeneric(z, t, k, new SoftmaxCrossEntropyOptions(), threads: 2);
    }

    [Fact]
    public void SingleThread_AllocatesNothing()
    {
        const int n = 64, k = 1000;
        float[] z = Reference.ToFloat(Reference.RandomLogits(13, n * k));
        float[] t = Targets(14, n, k);
        var g = new float[z.Length];
        foreach (var o in OptionSets(k, Reduction.Mean, 15))
        {
            Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxCrossEntropy.Evaluate<float>(z, t, k, o, g, default)));
        }
    }

    [Fact]
    public void ForwardOnly_GivesSameValueAsForwardBackward()
    {
        const int n = 20, k = 101;
        float[] z = Reference.ToFloat(Reference.RandomLogits(15, n * k));
        float[] t = Targets(16, n, k);
        foreach (var o in OptionSets(k, Reduction.Mean, 17))
        {
            var a = SoftmaxCrossEntropy.Evaluate<float>(z, t, k, o, new float[z.Length], default);
            var b = SoftmaxCrossEntropy.Evaluate<float>(z, t, k, o, default, default);
            Assert.Equal(a.Value, b.Value);
        }
    }

    [Fact]
    public void WeightsThatDoNotFitFloat_TakeTheGenericPath()
    {
        float[] z = [0.5f, float.NegativeInfinity, 1f];
        float[] t = [0.5f, 0f, 0.5f];
        var o = new SoftmaxCrossEntropyOptions { ClassWeights = [1, 1e-50, 1e300] };
        Assert.False(CrossEntropySoftKernel.Covers(o.WeightSpan));
        var g = new float[3];
        var gg = new float[3];
        var r = SoftmaxCrossEntropy.Evaluate<float>(z, t, 3, o, g, default);
        var e = SoftmaxCrossEntropy.EvaluateGeneric<float>(z, t, 3, o, gg, default);
        Assert.Equal(e.Value, r.Value);
        Assert.True(g.AsSpan().SequenceEqual(gg));
    }

    public static TheoryData<int, int, float, int> BadTargets() => new()
    {
        // row, column, value, vector width to fill the rows with
        { 0, 0, -1e-30f, 1 },
        { 3, 17, float.NaN, 2 },
        { 5, 39, 1.0000001f, 2 },
        { 2, 0, float.PositiveInfinity, 2 },
        { 6, 11, float.NegativeInfinity, 1 },
        { 1, 2, 2.5f, 2 },
    };

    [Theory]
    [MemberData(nameof(BadTargets))]
    public void BadTargetValues_ThrowTheGenericPathsMessage_ForAnyThreadCount(int row, int column, float value, int threads)
    {
        foreach (int k in new[] { 3, 40, 1000 })
        {
            int n = 400;
            float[] z = Reference.ToFloat(Reference.RandomLogits(41, n * k));
            float[] t = Targets(42, n, k);
            int col = column % k;
            t[row * k + col] = value;
            t[(n - 3) * k] = 0.5f; // a later row summing to ≠ 1: the first error is still the bad value
            foreach (var o in new[] { new SoftmaxCrossEntropyOptions(), new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.2, ClassWeights = Weights(k, 1), TargetSumTolerance = double.NaN } })
            {
                FusedCrossEntropyOptionsTests.AssertSameError(
                    () => FusedPaths.SoftTargets(z, t, k, o, new float[z.Length], default, threads),
                    () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, t, k, o, default, default));
                FusedCrossEntropyOptionsTests.AssertSameError(
                    () => SoftmaxCrossEntropy.Evaluate<float>(z, t, k, o, default, default),
                    () => SoftmaxCrossEntropy.Evaluate<double>(Reference.ToDouble(z), Reference.ToDouble(t), k, o, default, default));
            }
        }
    }

    [Theory]
    [InlineData(200, 3, 1)]
    [InlineData(20, 48, 21)] // the short-row path (K ≤ 48), the row inside the second group
    public void RowSumsNearTheTolerance_AreDecidedExactlyAsTheGenericPath(int k, int n, int at)
    {
        // Rows whose sum is 1 + δ for δ just inside and just outside the tolerance, and with the tolerance 0.
        var deltas = new[] { 0.0, 9.9e-5, 1.0e-4, 1.01e-4, -9.95e-5, -1.0e-4, -1.005e-4, 1.2e-4, 5e-6, -3e-7 };
        foreach (double tol in new[] { 1e-4, 0.0, 1e-6 })
        {
            foreach (double delta in deltas)
            {
                float[] z = Reference.ToFloat(Reference.RandomLogits(3, n * k));
                float[] t = Targets(4, n, k);
                var row = t.AsSpan(at * k, k);
                row.Fill(1f / k);
                row[0] += (float)delta;
                var o = new SoftmaxCrossEntropyOptions { TargetSumTolerance = tol };
                Exception? expected = Record.Exception(() => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, t, k, o, default, default));
                Exception? actual = Record.Exception(() => SoftmaxCrossEntropy.Evaluate<float>(z, t, k, o, new float[z.Length], default));
                Assert.Equal(expected?.Message, actual?.Message);
                if (expected is null)
                {
                    AssertMatchesGeneric(z, t, k, o);
                }
            }
        }
    }

    [Fact]
    public void BadShapes_ThrowTheGenericPathsMessages()
    {
        const int k = 9;
        float[] z = Reference.ToFloat(Reference.RandomLogits(1, 3 * k));
        float[] t = Targets(2, 3, k);
        var o = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, ClassWeights = Weights(k, 2), Temperature = 2 };
        FusedCrossEntropyOptionsTests.AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z, t.AsSpan(0, 18), k, o, default, default),
            () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, t.AsSpan(0, 18), k, o, default, default));
        FusedCrossEntropyOptionsTests.AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z, t, k, o, new float[5], default),
            () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, t, k, o, new float[5], default));
        FusedCrossEntropyOptionsTests.AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z, t, k, o, default, new float[2]),
            () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, t, k, o, default, new float[2]));
        FusedCrossEntropyOptionsTests.AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z.AsSpan(0, 10), t.AsSpan(0, 10), k, o, default, default),
            () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z.AsSpan(0, 10), t.AsSpan(0, 10), k, o, default, default));
    }
}
