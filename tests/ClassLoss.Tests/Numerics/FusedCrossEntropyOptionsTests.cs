using System.Numerics;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The fused float kernel for class-index targets with label smoothing, temperature and class weights, against the
/// generic double kernel (itself checked against PyTorch golden files and finite differences) on the same inputs.
/// </summary>
public class FusedCrossEntropyOptionsTests
{
    private static readonly double[] Eps = [0.0, 0.1, 0.37, 1.0];

    /// <summary>Option sets covering smoothing, temperature and weights alone and combined.</summary>
    internal static IEnumerable<SoftmaxCrossEntropyOptions> OptionSets(int k, Reduction reduction, int seed)
    {
        double[] w = Weights(k, seed);
        foreach (double eps in Eps)
        {
            yield return new SoftmaxCrossEntropyOptions { LabelSmoothing = eps, Reduction = reduction };
            yield return new SoftmaxCrossEntropyOptions { LabelSmoothing = eps, Temperature = 0.7, Reduction = reduction };
            yield return new SoftmaxCrossEntropyOptions { LabelSmoothing = eps, ClassWeights = w, Reduction = reduction };
            yield return new SoftmaxCrossEntropyOptions { LabelSmoothing = eps, ClassWeights = w, Temperature = 2.5, Reduction = reduction, IgnoreIndex = -1 };
        }
    }

    /// <summary>Positive weights in [0.2, 3) with a zero weight every 7th class.</summary>
    private static double[] Weights(int k, int seed)
    {
        var rng = new Random(seed);
        var w = new double[k];
        for (int c = 0; c < k; c++)
        {
            w[c] = c % 7 == 3 ? 0.0 : 0.2 + 2.8 * rng.NextDouble();
        }

        return w;
    }

    internal static string Describe(SoftmaxCrossEntropyOptions o) =>
        $"eps={o.LabelSmoothing} tau={o.Temperature} weighted={o.ClassWeights is not null} {o.Reduction} ignore={o.IgnoreIndex}";

    /// <summary>
    /// Runs the fused kernel (through the public float API and directly with <paramref name="threads"/>) and the
    /// double kernel on the same values; finite results must agree to 1e-6 relative (gradient: 2e-6 of the largest
    /// possible entry plus 2e-6 relative), non-finite ones must be the same kind, and rows the kernel hands to the
    /// generic path must be bit-identical to the generic float path.
    /// </summary>
    internal static void AssertMatchesGeneric(float[] z, int[] y, int k, SoftmaxCrossEntropyOptions o, int threads = 1, double valueFloor = 1e-3)
    {
        int n = y.Length;
        var g = new float[z.Length];
        var rows = new float[n];
        var viaApi = new float[z.Length];
        var r = FusedPaths.CrossEntropy(z, y, k, o, g, rows, threads);
        var api = SoftmaxCrossEntropy.Evaluate<float>(z, y, k, o, viaApi, default);
        Assert.Equal(r.Value, api.Value);
        Assert.True(g.AsSpan().SequenceEqual(viaApi), Describe(o));

        var zd = Array.ConvertAll(z, v => (double)v);
        var gd = new double[z.Length];
        var rowsD = new double[n];
        var d = SoftmaxCrossEntropy.Evaluate<double>(zd, y, k, o, gd, rowsD);
        var gf = new float[z.Length];
        var rowsF = new float[n];
        SoftmaxCrossEntropy.EvaluateGeneric<float>(z, y, k, o, gf, rowsF);

        Assert.Equal(d.Denominator, r.Denominator);
        AssertClose(r.Value, d.Value, $"{Describe(o)} k={k}: value", valueFloor);
        double maxW = o.ClassWeights is null ? 1.0 : Math.Max(1.0, o.ClassWeights.Max());
        double factor = Math.Abs(Reducer.GradientScale(o.Reduction, o.WhenEmpty, d.Denominator, n));
        double gScale = (double.IsNaN(factor) ? 1.0 : factor) / o.Temperature * maxW;
        AssertRowsMatch(Describe(o), k, n, g, rows, gd, rowsD, gf, rowsF, gScale);
    }

    /// <summary>Per row: a row the double path finds non-finite must be the generic float path's, bit for bit (loss and
    /// gradient); otherwise the row loss agrees to 1e-6 relative and each gradient entry to 2e-6 of
    /// <paramref name="gScale"/> plus 2e-6 relative (NaN where the reference is NaN).</summary>
    internal static void AssertRowsMatch(string describe, int k, int n, float[] g, float[] rows, double[] gd, double[] rowsD,
        float[] gf, float[] rowsF, double gScale)
    {
        for (int i = 0; i < n; i++)
        {
            string where = $"{describe} k={k} row {i}";
            if (!double.IsFinite(rowsD[i]))
            {
                // Handed to the generic path: exactly its float result.
                Assert.Equal(rowsF[i], rows[i]);
                Assert.True(g.AsSpan(i * k, k).SequenceEqual(gf.AsSpan(i * k, k)), where + ": gradient of a non-finite row");
                continue;
            }

            if (float.IsFinite(rowsF[i]))
            {
                AssertClose(rows[i], rowsD[i], where + ": row loss", floor: 1.0);
            }
            else
            {
                Assert.Equal(rowsF[i], rows[i]); // a finite double loss beyond float's range
            }

            for (int c = 0; c < k; c++)
            {
                int j = i * k + c;
                if (double.IsNaN(gd[j]))
                {
                    Assert.True(float.IsNaN(g[j]), $"{where}: gradient[{c}] {g[j]} vs NaN");
                    continue;
                }

                Assert.True(Math.Abs(g[j] - gd[j]) <= 2e-6 * gScale + 2e-6 * Math.Abs(gd[j]),
                    $"{where}: gradient[{c}] {g[j]} vs reference {gd[j]}");
            }
        }
    }

    internal static void AssertClose(double actual, double expected, string what, double floor = 1e-3)
    {
        if (!double.IsFinite(expected))
        {
            Assert.True(double.IsNaN(expected) ? double.IsNaN(actual) : actual == expected, $"{what}: {actual} vs {expected}");
            return;
        }

        Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Max(floor, Math.Abs(expected)), $"{what}: {actual} vs reference {expected}");
    }

    internal static int[] LabelsWithIgnored(int seed, int n, int k, int ignore)
    {
        int[] y = Reference.RandomLabels(seed, n, k);
        for (int i = 2; i < n; i += 5)
        {
            y[i] = ignore;
        }

        return y;
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
            foreach (var o in OptionSets(k, reduction, k))
            {
                AssertMatchesGeneric(z, LabelsWithIgnored(k + 100, n, k, o.IgnoreIndex), k, o);
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
        foreach (var o in OptionSets(k, reduction, n))
        {
            AssertMatchesGeneric(z, LabelsWithIgnored(n, n, k, o.IgnoreIndex), k, o);
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

        foreach (var o in OptionSets(k, Reduction.Sum, 3))
        {
            AssertMatchesGeneric(z, Reference.RandomLabels(6, n, k), k, o);
        }
    }

    /// <summary>Rows of one large logit and K - 1 equal ones (the float lane sums then add the same small term to a
    /// large partial over and over, rounding the same way each time).</summary>
    internal static float[] OneLargeManyEqual(int k, float b)
    {
        var z = new float[2 * k];
        Array.Fill(z, b);
        z[0] = 4.7f;
        z[k + 1] = 4.7f;
        return z;
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1024)]
    [InlineData(5000)]
    public void OneLargeLogitAndManyEqualOthers_MatchDoubleKernel(int k)
    {
        foreach (float b in new[] { -1.37f, -5.3f, 2.1f })
        {
            foreach (var o in OptionSets(k, Reduction.Mean, 5))
            {
                // With class 3 of weight 0 the mean is row 0's loss alone, log S with S = 1 + 99 e^-10 (k = 100):
                // float resolves log S near S = 1 to about an ulp of 1, so below 0.25 the bound is 2.5e-7 absolute.
                AssertMatchesGeneric(OneLargeManyEqual(k, b), [0, 3], k, o, valueFloor: 0.25);
            }
        }
    }

    [Fact]
    public void NonFiniteLogits_MaskedNaNAndInfinite_GiveWhatTheGenericPathGives()
    {
        const int k = 40;
        float[] z = Reference.ToFloat(Reference.RandomLogits(7, 8 * k));
        int[] y = [0, 5, 39, 17, 3, 8, 12, 20];
        for (int c = 0; c < k; c++)
        {
            // Row 0: masked classes away from the label; row 1: the label itself masked too.
            if (c % 3 == 1 && c != y[0])
            {
                z[c] = float.NegativeInfinity;
            }

            if (c % 4 == 1)
            {
                z[k + c] = float.NegativeInfinity;
            }

            z[2 * k + c] = float.NegativeInfinity; // row 2: all masked
        }

        z[3 * k + 9] = float.NaN;
        z[4 * k + 30] = float.PositiveInfinity;
        z[5 * k + 8] = float.PositiveInfinity; // the label's own logit
        z[6 * k + 3] = float.NegativeInfinity; // row 6: one masked class of weight 0 (3 % 7 == 3)
        z[7 * k + 5] = 3e38f;
        z[7 * k + 6] = -3e38f; // row 7: z - max overflows float
        foreach (var reduction in new[] { Reduction.None, Reduction.Mean })
        {
            foreach (var o in OptionSets(k, reduction, 9))
            {
                AssertMatchesGeneric(z, y, k, o);
            }
        }
    }

    [Fact]
    public void MaskedClassOfZeroWeight_UnderSmoothing_GivesFiniteLoss()
    {
        const int k = 21;
        float[] z = Reference.ToFloat(Reference.RandomLogits(3, 2 * k));
        z[3] = float.NegativeInfinity;
        z[k + 11] = float.NegativeInfinity; // weight > 0
        double[] w = Weights(k, 4);
        var o = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.2, ClassWeights = w, Reduction = Reduction.None };
        var rows = new float[2];
        SoftmaxCrossEntropy.Evaluate<float>(z, [1, 2], k, o, new float[z.Length], rows);
        Assert.True(float.IsFinite(rows[0]), $"{rows[0]}");
        Assert.True(float.IsPositiveInfinity(rows[1]), $"{rows[1]}");
        AssertMatchesGeneric(z, [1, 2], k, o);
    }

    [Theory]
    [InlineData(EmptyMean.Zero)]
    [InlineData(EmptyMean.NaN)]
    public void AllRowsIgnoredOrOfZeroWeight_GiveTheEmptyMean(EmptyMean whenEmpty)
    {
        const int n = 6, k = 19;
        float[] z = Reference.ToFloat(Reference.RandomLogits(21, n * k));
        var ignored = Enumerable.Repeat(-100, n).ToArray();
        var zeroWeight = Enumerable.Repeat(3, n).ToArray(); // class 3 has weight 0
        foreach (var o in OptionSets(k, Reduction.Mean, 22))
        {
            var oe = o with { WhenEmpty = whenEmpty, IgnoreIndex = -100 };
            AssertMatchesGeneric(z, ignored, k, oe);
            if (o.ClassWeights is not null)
            {
                AssertMatchesGeneric(z, zeroWeight, k, oe);
            }
        }
    }

    [Fact]
    public void Result_IsBitIdentical_For1And2Threads()
    {
        const int n = 1000, k = 300;
        float[] z = Reference.ToFloat(Reference.RandomLogits(11, n * k, 6.0));
        foreach (var o in OptionSets(k, Reduction.Mean, 12))
        {
            int[] y = LabelsWithIgnored(12, n, k, o.IgnoreIndex);
            var g1 = new float[z.Length];
            var g2 = new float[z.Length];
            var r1 = new float[n];
            var r2 = new float[n];
            var a = FusedPaths.CrossEntropy(z, y, k, o, g1, r1, maxThreads: 1);
            var b = FusedPaths.CrossEntropy(z, y, k, o, g2, r2, maxThreads: 2);
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.Value), BitConverter.DoubleToInt64Bits(b.Value));
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.Sum), BitConverter.DoubleToInt64Bits(b.Sum));
            Assert.True(g1.AsSpan().SequenceEqual(g2), Describe(o));
            Assert.True(r1.AsSpan().SequenceEqual(r2), Describe(o));
            AssertMatchesGeneric(z, y, k, o, threads: 2);
        }
    }

    [Fact]
    public void SingleThread_AllocatesNothing_WithSmoothingWeightsAndTemperature()
    {
        const int n = 64, k = 1000;
        float[] z = Reference.ToFloat(Reference.RandomLogits(13, n * k));
        int[] y = Reference.RandomLabels(14, n, k);
        var g = new float[z.Length];
        foreach (var o in OptionSets(k, Reduction.Mean, 15))
        {
            Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, o, g, default)));
        }
    }

    [Fact]
    public void ForwardOnly_GivesSameValueAsForwardBackward()
    {
        const int n = 20, k = 101;
        float[] z = Reference.ToFloat(Reference.RandomLogits(15, n * k));
        int[] y = Reference.RandomLabels(16, n, k);
        foreach (var o in OptionSets(k, Reduction.Mean, 17))
        {
            var a = SoftmaxCrossEntropy.Evaluate<float>(z, y, k, o, new float[z.Length], default);
            var b = SoftmaxCrossEntropy.Evaluate<float>(z, y, k, o, default, default);
            Assert.Equal(a.Value, b.Value);
        }
    }

    [Fact]
    public void WeightsThatDoNotFitFloat_UnderSmoothing_TakeTheGenericPath()
    {
        const int k = 5;
        float[] z = [0.5f, float.NegativeInfinity, 1f, -2f, 0f];
        var o = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, ClassWeights = [1, 1e-50, 1, 1, 1e300] };
        Assert.False(CrossEntropyIndexKernel.Covers(o.WeightSpan, o.LabelSmoothing));
        Assert.True(CrossEntropyIndexKernel.Covers(o.WeightSpan, 0));
        var g = new float[k];
        var gg = new float[k];
        var r = SoftmaxCrossEntropy.Evaluate<float>(z, [2], k, o, g, default);
        var e = SoftmaxCrossEntropy.EvaluateGeneric<float>(z, [2], k, o, gg, default);
        Assert.Equal(e.Value, r.Value);
        Assert.True(g.AsSpan().SequenceEqual(gg));
    }

    [Fact]
    public void BadLabelsAndShapes_ThrowTheGenericPathsMessages()
    {
        const int k = 9;
        float[] z = Reference.ToFloat(Reference.RandomLogits(1, 3 * k));
        var o = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, ClassWeights = Weights(k, 2), Temperature = 2 };
        AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z, [1, 9, 2], k, o, default, default),
            () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, [1, 9, 2], k, o, default, default));
        AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z, [1, 2], k, o, default, default),
            () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, [1, 2], k, o, default, default));
        AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z, [1, 2, 3], k, o, new float[5], default),
            () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, [1, 2, 3], k, o, new float[5], default));
        AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z, [1, 2, 3], k, o, default, new float[2]),
            () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, [1, 2, 3], k, o, default, new float[2]));
        AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z.AsSpan(0, 10), [1], k, o, default, default),
            () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z.AsSpan(0, 10), [1], k, o, default, default));
        AssertSameError(() => SoftmaxCrossEntropy.Evaluate<float>(z, [1, 2, 3], k, o with { ClassWeights = [1, 2] }, default, default),
            () => SoftmaxCrossEntropy.Evaluate<double>(Array.ConvertAll(z, v => (double)v), [1, 2, 3], k, o with { ClassWeights = [1, 2] }, default, default));
    }

    internal static void AssertSameError(Action fused, Action generic)
    {
        var expected = Assert.ThrowsAny<ArgumentException>(generic);
        var actual = Assert.ThrowsAny<ArgumentException>(fused);
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Message, actual.Message);
        Assert.Equal(expected.ParamName, actual.ParamName);
    }
}
