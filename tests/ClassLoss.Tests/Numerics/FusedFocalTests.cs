using System.Numerics;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The fused float focal kernels (<see cref="SoftmaxFocalKernel"/>, <see cref="SigmoidFocalKernel"/>, reached through
/// <c>Evaluate&lt;float&gt;</c>) against the generic float64 kernel (<c>Evaluate&lt;double&gt;</c>) on the same inputs.
/// </summary>
public class FusedFocalTests
{
    internal static readonly double[] Gammas = [0, 0.5, 1, 2, 3.7];

    private static int MaxWidth => 3 * Math.Max(Vector512<float>.Count, Vector<float>.Count) + 1;

    /// <summary>Value, gradient and row losses agree (1e-6 relative; gradient 2e-6 of the reduction's scale + 2e-6 relative); NaN where the reference is NaN.</summary>
    private static void AssertAgree(LossResult fused, LossResult generic, float[] g, double[] gRef, float[] rows, double[] rowsRef,
        double gradientScale, string what)
    {
        gradientScale = double.IsNaN(gradientScale) ? 1 : gradientScale; // an empty mean with EmptyMean.NaN
        AssertValue(fused.Value, generic.Value, $"{what}: value");
        Assert.Equal(generic.Denominator, fused.Denominator);
        for (int j = 0; j < g.Length; j++)
        {
            if (double.IsNaN(gRef[j]) || double.IsInfinity(gRef[j]))
            {
                Assert.True(gRef[j].Equals((double)g[j]), $"{what}: gradient[{j}] {g[j]} vs {gRef[j]}");
                continue;
            }

            Assert.True(Math.Abs(g[j] - gRef[j]) <= 2e-6 * gradientScale + 2e-6 * Math.Abs(gRef[j]),
                $"{what}: gradient[{j}] {g[j]} vs {gRef[j]}");
        }

        for (int i = 0; i < rows.Length; i++)
        {
            AssertValue(rows[i], rowsRef[i], $"{what}: row {i}");
        }
    }

    private static void AssertValue(double got, double expected, string what)
    {
        if (double.IsNaN(expected) || double.IsInfinity(expected))
        {
            Assert.True(expected.Equals((double)got), $"{what} {got} vs {expected}");
            return;
        }

        // float row losses are rounded once to float: 6e-8 relative.
        Assert.True(Math.Abs(got - expected) <= 1e-6 * Math.Abs(expected) + 1e-30, $"{what} {got} vs {expected}");
    }

    // ---------------------------------------------------------------- softmax focal, class-index targets

    internal static void SoftmaxCase(float[] z, int[] y, int k, SoftmaxFocalOptions o, string what)
    {
        int n = y.Length;
        var g = new float[z.Length];
        var rows = new float[n];
        var gRef = new double[z.Length];
        var rowsRef = new double[n];
        var fused = SoftmaxFocal.Evaluate<float>(z, y, k, o, g, rows);
        var generic = SoftmaxFocal.Evaluate<double>(Reference.ToDouble(z), y, k, o, gRef, rowsRef);
        double counted = y.Count(v => v != o.IgnoreIndex);
        double scale = Math.Abs(Reducer.GradientScale(o.Reduction, o.WhenEmpty, counted, n));
        double alphaMax = o.ClassAlpha is null ? o.Alpha : o.ClassAlpha.Max();
        AssertAgree(fused, generic, g, gRef, rows, rowsRef, scale * Math.Max(1, alphaMax) * (1 + o.Gamma), what);

        // Forward only gives the same value.
        var forward = SoftmaxFocal.Evaluate<float>(z, y, k, o, default, default);
        Assert.Equal(fused.Value, forward.Value);
    }

    [Fact]
    public void Softmax_MatchesGeneric_ForEveryRowLengthUpTo3xVectorWidth_AndEveryGamma()
    {
        for (int k = 1; k <= MaxWidth; k++)
        {
            const int n = 7;
            float[] z = Reference.ToFloat(Reference.RandomLogits(k, n * k, 5.0));
            int[] y = Reference.RandomLabels(k + 100, n, k);
            foreach (double gamma in Gammas)
            {
                SoftmaxCase(z, y, k, new SoftmaxFocalOptions { Gamma = gamma }, $"k={k} γ={gamma}");
            }
        }
    }

    [Theory]
    [InlineData(64, 1000, Reduction.Mean, 2.0)]
    [InlineData(8, 5000, Reduction.Sum, 0.5)]
    [InlineData(3, 7000, Reduction.None, 3.0)]
    [InlineData(300, 10, Reduction.BatchMean, 1.0)]
    [InlineData(300, 10, Reduction.Mean, 0.0)]
    public void Softmax_MatchesGeneric_ForLargeShapes(int n, int k, Reduction reduction, double gamma)
    {
        float[] z = Reference.ToFloat(Reference.RandomLogits(n + k, n * k, 8.0));
        int[] y = Reference.RandomLabels(n, n, k);
        SoftmaxCase(z, y, k, new SoftmaxFocalOptions { Gamma = gamma, Reduction = reduction }, $"{n}x{k}");
    }

    [Fact]
    public void Softmax_ConfidentRows_KeepRelativePrecisionOfOneMinusP()
    {
        // p_y → 1: q = 1 - p_y from 1e-2 down to 1e-30, where 1 - p in float would be 0 or cancel.
        const int k = 37;
        double[] gaps = [5, 10, 16, 20, 30, 40, 60, 80];
        var z = new float[gaps.Length * k];
        var y = new int[gaps.Length];
        var rng = new Random(3);
        for (int i = 0; i < gaps.Length; i++)
        {
            y[i] = rng.Next(k);
            for (int c = 0; c < k; c++)
            {
                z[i * k + c] = c == y[i] ? (float)gaps[i] : (float)(rng.NextDouble() - 0.5);
            }
        }

        foreach (double gamma in Gammas)
        {
            SoftmaxCase(z, y, k, new SoftmaxFocalOptions { Gamma = gamma, Reduction = Reduction.None }, $"γ={gamma}");
        }
    }

    [Fact]
    public void Softmax_HugeLogitsPlusMinus1e4_MatchGeneric()
    {
        const int n = 9, k = 37;
        var rng = new Random(5);
        var z = new float[n * k];
        for (int j = 0; j < z.Length; j++)
        {
            z[j] = rng.Next(3) switch { 0 => 1e4f, 1 => -1e4f, _ => (float)(rng.NextDouble() * 2e4 - 1e4) };
        }

        int[] y = Reference.RandomLabels(6, n, k);
        y[0] = Array.IndexOf(z, z.AsSpan(0, k).ToArray().Max(), 0, k); // a row whose target holds the maximum
        foreach (double gamma in Gammas)
        {
            SoftmaxCase(z, y, k, new SoftmaxFocalOptions { Gamma = gamma, Reduction = Reduction.Sum }, $"γ={gamma}");
        }
    }

    [Fact]
    public void Softmax_MaskedNaNInfiniteAndIgnoredRows_MatchGeneric()
    {
        const int n = 8, k = 40;
        float[] z = Reference.ToFloat(Reference.RandomLogits(7, n * k));
        int[] y = [0, 5, 39, 17, -100, 3, 8, 9];
        for (int c = 0; c < k; c++)
        {
            if (c % 3 == 1 && c != y[0])
            {
                z[c] = float.NegativeInfinity; // masked classes in row 0
            }

            z[k + c] = float.NegativeInfinity; // row 1 all masked
        }

        z[2 * k + 3] = float.NaN;               // row 2: a NaN
        z[3 * k + 17] = float.NegativeInfinity; // row 3: the target itself masked
        z[5 * k + 4] = float.PositiveInfinity;  // row 5: +inf elsewhere
        z[6 * k + 8] = float.PositiveInfinity;  // row 6: +inf at the target
        foreach (double gamma in Gammas)
        {
            SoftmaxCase(z, y, k, new SoftmaxFocalOptions { Gamma = gamma, Reduction = Reduction.None }, $"γ={gamma}");
        }
    }

    [Fact]
    public void Softmax_ClassAlphaIgnoreIndexAndEmptyMean_MatchGeneric()
    {
        const int n = 50, k = 33;
        float[] z = Reference.ToFloat(Reference.RandomLogits(9, n * k));
        int[] y = Reference.RandomLabels(10, n, k);
        for (int i = 0; i < n; i += 4)
        {
            y[i] = -1;
        }

        double[] alpha = [.. Enumerable.Range(0, k).Select(c => c % 5 == 0 ? 0.0 : 0.1 * c)];
        foreach (double gamma in Gammas)
        {
            SoftmaxCase(z, y, k, new SoftmaxFocalOptions { Gamma = gamma, ClassAlpha = alpha, IgnoreIndex = -1 }, $"γ={gamma}");
        }

        int[] none = [.. Enumerable.Repeat(-1, n)];
        SoftmaxCase(z, none, k, new SoftmaxFocalOptions { IgnoreIndex = -1 }, "all ignored, empty mean 0");
        SoftmaxCase(z, none, k, new SoftmaxFocalOptions { IgnoreIndex = -1, WhenEmpty = EmptyMean.NaN }, "all ignored, empty mean NaN");
        Assert.Throws<ArgumentException>(() => SoftmaxFocal.Evaluate<float>([], ReadOnlySpan<int>.Empty, k, null, default, default)); // no rows, as generic
    }

    [Fact]
    public void Softmax_BadLabels_StillThrow()
    {
        float[] z = new float[20];
        Assert.Throws<ArgumentException>(() => SoftmaxFocal.Evaluate<float>(z, [0, 10], 10, null, new float[20], default));
        Assert.Throws<ArgumentException>(() => SoftmaxFocal.Evaluate<float>(z, [0, 1], 10, null, new float[19], default));
    }

    [Fact]
    public void Softmax_SingleCall_AllocatesNothing()
    {
        const int n = 64, k = 1000;
        float[] z = Reference.ToFloat(Reference.RandomLogits(13, n * k));
        int[] y = Reference.RandomLabels(14, n, k);
        var g = new float[z.Length];
        var o = new SoftmaxFocalOptions { Gamma = 1.5 };
        for (int warm = 0; warm < 50; warm++) // past tiered compilation's call counting
        {
            SoftmaxFocal.Evaluate<float>(z, y, k, o, g, default);
        }

        // The fewest bytes over a few calls: the runtime itself sometimes allocates on this thread while it re-compiles a hot
        // method (seen once in the AVX2-off pass); a kernel that allocates per call never reaches 0.
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxFocal.Evaluate<float>(z, y, k, o, g, default)));
    }

    // ---------------------------------------------------------------- softmax focal, probability targets

    private static void SoftmaxSoftCase(float[] z, float[] t, int k, SoftmaxFocalOptions o, string what)
    {
        int n = z.Length / k;
        var g = new float[z.Length];
        var rows = new float[n];
        var gRef = new double[z.Length];
        var rowsRef = new double[n];
        var fused = SoftmaxFocal.Evaluate<float>(z, t, k, o, g, rows);
        var generic = SoftmaxFocal.Evaluate<double>(Reference.ToDouble(z), Reference.ToDouble(t), k, o, gRef, rowsRef);
        double scale = Math.Abs(Reducer.GradientScale(o.Reduction, o.WhenEmpty, n, n));
        double alphaMax = o.ClassAlpha is null ? o.Alpha : o.ClassAlpha.Max();
        AssertAgree(fused, generic, g, gRef, rows, rowsRef, scale * Math.Max(1, alphaMax) * (1 + o.Gamma), what);
        var forward = SoftmaxFocal.Evaluate<float>(z, t, k, o, default, default);
        AssertValue(forward.Value, generic.Value, what + " (forward only)");
    }

    /// <summary>Float probability rows: random, one-hot, with zeros, renormalised in double so they sum to 1 within float rounding.</summary>
    private static float[] SoftTargets(int seed, int n, int k)
    {
        float[] t = Reference.ToFloat(Reference.RandomProbabilities(seed, n, k));
        var rng = new Random(seed);
        for (int i = 0; i < n; i++)
        {
            var row = t.AsSpan(i * k, k);
            switch (i % 3)
            {
                case 1: // one-hot
                    row.Clear();
                    row[rng.Next(k)] = 1f;
                    break;
                case 2: // some zeros
                    for (int c = 0; c < k; c += 2)
                    {
                        row[c] = 0f;
                    }

                    double s = 0;
                    foreach (float v in row)
                    {
                        s += v;
                    }

                    if (s == 0)
                    {
                        row[0] = 1f;
                        s = 1;
                    }

                    for (int c = 0; c < k; c++)
                    {
                        row[c] = (float)(row[c] / s);
                    }

                    break;
            }
        }

        return t;
    }

    [Fact]
    public void SoftmaxSoft_MatchesGeneric_ForEveryRowLengthUpTo3xVectorWidth_AndEveryGamma()
    {
        for (int k = 1; k <= MaxWidth; k++)
        {
            const int n = 7;
            float[] z = Reference.ToFloat(Reference.RandomLogits(k, n * k, 5.0));
            float[] t = SoftTargets(k + 200, n, k);
            foreach (double gamma in Gammas)
            {
                SoftmaxSoftCase(z, t, k, new SoftmaxFocalOptions { Gamma = gamma }, $"k={k} γ={gamma}");
            }
        }
    }

    [Theory]
    [InlineData(64, 1000, Reduction.Mean, 2.0)]
    [InlineData(8, 5000, Reduction.Sum, 1.0)]
    [InlineData(300, 10, Reduction.None, 0.0)]
    [InlineData(30, 100, Reduction.BatchMean, 2.0)]
    public void SoftmaxSoft_MatchesGeneric_ForLargeShapes(int n, int k, Reduction reduction, double gamma)
    {
        float[] z = Reference.ToFloat(Reference.RandomLogits(n + k, n * k, 8.0));
        float[] t = SoftTargets(n, n, k);
        SoftmaxSoftCase(z, t, k, new SoftmaxFocalOptions { Gamma = gamma, Reduction = reduction, Alpha = 0.7 }, $"{n}x{k}");
    }

    [Fact]
    public void SoftmaxSoft_ConfidentHugeMaskedAndNaNRows_MatchGeneric()
    {
        const int n = 9, k = 37;
        var rng = new Random(21);
        float[] z = Reference.ToFloat(Reference.RandomLogits(22, n * k));
        float[] t = SoftTargets(23, n, k);
        for (int c = 0; c < k; c++)
        {
            z[c] = c == 4 ? 30f : z[c];                                                    // row 0: p_4 → 1
            z[k + c] = rng.Next(3) switch { 0 => 1e4f, 1 => -1e4f, _ => (float)(rng.NextDouble() * 2e4 - 1e4) }; // row 1
            z[2 * k + c] = t[2 * k + c] == 0 && c % 3 == 0 ? float.NegativeInfinity : z[2 * k + c]; // row 2: masked zero-target classes
            z[3 * k + c] = float.NegativeInfinity;                                          // row 3: all masked
        }

        z[4 * k + 5] = float.NaN;                // row 4: a NaN
        z[5 * k + 6] = float.PositiveInfinity;   // row 5: +inf
        z[6 * k + 7] = float.NegativeInfinity;   // row 6: a masked class with target mass (loss inf)
        t.AsSpan(6 * k, k).Fill(1f / k);
        t.AsSpan(0, k).Clear();
        t[4] = 0.9f;
        t[9] = 0.1f;                             // row 0: target mass mostly on the dominant class
        foreach (double gamma in Gammas)
        {
            SoftmaxSoftCase(z, t, k, new SoftmaxFocalOptions { Gamma = gamma, Reduction = Reduction.None }, $"γ={gamma}");
        }
    }

    [Fact]
    public void SoftmaxSoft_ClassAlphaAndTolerance_MatchGenericOrThrowAlike()
    {
        const int n = 20, k = 33;
        float[] z = Reference.ToFloat(Reference.RandomLogits(31, n * k));
        float[] t = SoftTargets(32, n, k);
        double[] alpha = [.. Enumerable.Range(0, k).Select(c => 0.05 * c)];
        SoftmaxSoftCase(z, t, k, new SoftmaxFocalOptions { ClassAlpha = alpha }, "class alpha (generic path)");

        // A row off by 2e-4 passes with a tolerance of 3e-4 and NaN, throws with the default 1e-4, as the generic check.
        float[] off = (float[])t.Clone();
        off[3 * k] += 2e-4f;
        SoftmaxSoftCase(z, off, k, new SoftmaxFocalOptions { TargetSumTolerance = 3e-4 }, "tolerance 3e-4");
        SoftmaxSoftCase(z, off, k, new SoftmaxFocalOptions { TargetSumTolerance = double.NaN }, "tolerance NaN");
        var e = Assert.Throws<ArgumentException>(() => SoftmaxFocal.Evaluate<float>(z, off, k, null, new float[z.Length], default));
        Assert.Contains("row 3", e.Message, StringComparison.Ordinal);
        off[3 * k] = -0.5f;
        Assert.Throws<ArgumentException>(() => SoftmaxFocal.Evaluate<float>(z, off, k, new SoftmaxFocalOptions { TargetSumTolerance = double.NaN }, default, default));
        off[3 * k] = float.NaN;
        Assert.Throws<ArgumentException>(() => SoftmaxFocal.Evaluate<float>(z, off, k, new SoftmaxFocalOptions { TargetSumTolerance = double.NaN }, default, default));
    }

    [Fact]
    public void SoftmaxSoft_SingleCall_AllocatesNothing()
    {
        const int n = 64, k = 1000;
        float[] z = Reference.ToFloat(Reference.RandomLogits(33, n * k));
        float[] t = SoftTargets(34, n, k);
        var g = new float[z.Length];
        var o = new SoftmaxFocalOptions();
        for (int warm = 0; warm < 50; warm++)
        {
            SoftmaxFocal.Evaluate<float>(z, t, k, o, g, default);
            SoftmaxFocal.Evaluate<float>(z, t, k, o, default, default);
        }

        // The fewest bytes over a few calls (see Softmax_SingleCall_AllocatesNothing).
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() =>
        {
            SoftmaxFocal.Evaluate<float>(z, t, k, o, g, default);
            SoftmaxFocal.Evaluate<float>(z, t, k, o, default, default);
        }));
    }

    // ---------------------------------------------------------------- sigmoid focal

    private static readonly float[] Special =
        [1e4f, -1e4f, 20f, -20f, 0f, 8.5f, -9.25f, 0.5f, -3f, 100f, -100f, float.PositiveInfinity, float.NegativeInfinity];

    private static (float[] X, float[] T) SigmoidData(int length, int seed, bool soft, bool infinite = false)
    {
        var rng = new Random(seed);
        var x = new float[length];
        var t = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (i % 3) switch
            {
                0 => Special[rng.Next(infinite ? Special.Length : Special.Length - 2)],
                1 => (float)(rng.NextDouble() * 40 - 20),
                _ => (float)(rng.NextDouble() * 6 - 3),
            };
            t[i] = soft && i % 4 >= 2 ? (float)rng.NextDouble() : rng.Next(2);
        }

        return (x, t);
    }

    private static void SigmoidCase(float[] x, float[] t, int k, SigmoidFocalOptions o, string what)
    {
        int n = k == 0 ? 0 : x.Length / k;
        var g = new float[x.Length];
        var rows = new float[n];
        var gRef = new double[x.Length];
        var rowsRef = new double[n];
        var fused = SigmoidFocal.Evaluate<float>(x, t, k, o, g, rows);
        var generic = SigmoidFocal.Evaluate<double>(Reference.ToDouble(x), Reference.ToDouble(t), k, o, gRef, rowsRef);
        double scale = Math.Abs(Reducer.GradientScale(o.Reduction, o.WhenEmpty, (double)n * k, n));
        AssertAgree(fused, generic, g, gRef, rows, rowsRef, scale * (1 + o.Gamma), what);

        // Without row losses (the flat path) and forward only: the same value and gradient.
        var g2 = new float[x.Length];
        var flat = SigmoidFocal.Evaluate<float>(x, t, k, o, g2, default);
        AssertAgree(flat, generic, g2, gRef, [], [], scale * (1 + o.Gamma), what + " (flat)");
        var forward = SigmoidFocal.Evaluate<float>(x, t, k, o, default, default);
        Assert.Equal(flat.Value, forward.Value);
    }

    [Fact]
    public void Sigmoid_MatchesGeneric_ForEveryLengthUpTo3xVectorWidth_EveryGammaAndTargetKind()
    {
        for (int k = 1; k <= MaxWidth; k++)
        {
            foreach (bool soft in new[] { false, true })
            {
                var (x, t) = SigmoidData(3 * k, 1000 + k, soft);
                foreach (double gamma in Gammas)
                {
                    SigmoidCase(x, t, k, new SigmoidFocalOptions { Gamma = gamma }, $"k={k} soft={soft} γ={gamma}");
                }
            }
        }
    }

    [Theory]
    [InlineData(Reduction.Mean, true)]
    [InlineData(Reduction.Sum, false)]
    [InlineData(Reduction.BatchMean, true)]
    [InlineData(Reduction.None, false)]
    public void Sigmoid_MatchesGeneric_ForLargeShapesReductionsAndBalancing(Reduction reduction, bool balancing)
    {
        foreach (bool soft in new[] { false, true })
        {
            var (x, t) = SigmoidData(64 * 1000, 77, soft);
            foreach (double gamma in Gammas)
            {
                foreach (double alpha in new[] { 0.25, -1.0, 0.9 })
                {
                    var o = new SigmoidFocalOptions { Gamma = gamma, Alpha = Math.Max(alpha, 0), ApplyClassBalancing = balancing && alpha >= 0, Reduction = reduction };
                    SigmoidCase(x, t, 1000, o, $"soft={soft} γ={gamma} α={alpha}");
                }
            }
        }
    }

    [Fact]
    public void Sigmoid_InfiniteAndNaNLogits_MatchGeneric()
    {
        foreach (bool soft in new[] { false, true })
        {
            var (x, t) = SigmoidData(7 * 45, 5, soft, infinite: true);
            x[10] = float.NaN;
            x[100] = float.NaN;
            foreach (double gamma in Gammas)
            {
                SigmoidCase(x, t, 45, new SigmoidFocalOptions { Gamma = gamma, Reduction = Reduction.Sum }, $"soft={soft} γ={gamma}");
            }
        }
    }

    [Fact]
    public void Sigmoid_EmptyAndBadTargets()
    {
        Assert.Throws<ArgumentException>(() => SigmoidFocal.Evaluate<float>([], [], 5, null, default, default)); // no rows, as generic
        Assert.Throws<ArgumentException>(() => SigmoidFocal.Evaluate<double>([], [], 5, null, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidFocal.Evaluate<float>(new float[4], [0f, 1f, 1.5f, 0f], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidFocal.Evaluate<float>(new float[4], [0f, float.NaN, 1f, 0f], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidFocal.Evaluate<float>(new float[4], [0f, 1f, 1f], 2, null, default, default));
    }

    [Fact]
    public void Sigmoid_SingleCall_AllocatesNothing()
    {
        var (x, t) = SigmoidData(8 * 1000, 13, soft: true);
        var g = new float[x.Length];
        var rows = new float[8];
        foreach (double gamma in Gammas)
        {
            var o = new SigmoidFocalOptions { Gamma = gamma };
            for (int warm = 0; warm < 50; warm++)
            {
                SigmoidFocal.Evaluate<float>(x, t, 1000, o, g, rows);
                SigmoidFocal.Evaluate<float>(x, t, 1000, o, g, default);
            }

            // The fewest bytes over a few calls: the runtime alone sometimes allocates while it re-compiles a hot
            // method (AllocationProbe); a kernel that allocates per call never reaches 0.
            Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() =>
            {
                SigmoidFocal.Evaluate<float>(x, t, 1000, o, g, rows);
                SigmoidFocal.Evaluate<float>(x, t, 1000, o, g, default);
            }));
        }
    }
}
