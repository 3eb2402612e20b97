using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The weighted form of the fused BCE kernel (issue 11, item 8): class weights, positive weights, label smoothing, N·K
/// element weights, N sample weights and the losses buffer (N row sums or N·K element losses) run on the fused float
/// path, and agree with the generic double kernel on the same inputs within the tolerance of the default form's tests
/// (<see cref="FusedSigmoidBinaryCrossEntropyTests"/>: the value within 1e-6 relative, each entry within 1e-6 of its
/// terms' size: the reduction's factor times the element's weight and target mass).
/// </summary>
public class FusedSigmoidBinaryCrossEntropyOptionsTests
{
    private static readonly float[] Special = [1e4f, -1e4f, 20f, -20f, 0f, 8.5f, -9.25f, 0.5f, -3f];

    private static (float[] X, float[] Y, float[] E) Data(int length, int seed)
    {
        var rng = new Random(seed);
        var x = new float[length];
        var y = new float[length];
        var e = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (i % 3) switch
            {
                0 => Special[rng.Next(Special.Length)],
                1 => (float)((rng.NextDouble() * 40) - 20),
                _ => (float)((rng.NextDouble() * 6) - 3),
            };
            y[i] = (i % 4) switch
            {
                0 => 0f,
                1 => 1f,
                _ => (float)rng.NextDouble(),
            };
            e[i] = i % 5 == 0 ? 0f : (float)(rng.NextDouble() * 3);
        }

        return (x, y, e);
    }

    private static double[] Wide(float[] v) => Array.ConvertAll(v, a => (double)a);

    /// <summary>The configurations: each option alone and together, with and without a losses buffer.</summary>
    public static TheoryData<string> Configurations() =>
        ["class", "positive", "smoothing", "elements", "rows", "class+positive+smoothing", "all+elements", "all+rows", "element-losses", "all+element-losses"];

    private static SigmoidBinaryCrossEntropyOptions Options(string config, int k, Reduction reduction)
    {
        bool all = config.StartsWith("all", StringComparison.Ordinal) || config.StartsWith("class+", StringComparison.Ordinal);
        double[] w = [.. Enumerable.Range(0, k).Select(c => c % 7 == 3 ? 0.0 : 0.25 + (0.5 * (c % 5)))];
        double[] pw = [.. Enumerable.Range(0, k).Select(c => c % 4 == 1 ? 0.0 : 0.5 + (c % 6))];
        return new SigmoidBinaryCrossEntropyOptions
        {
            Reduction = reduction,
            ClassWeights = all || config == "class" ? w : null,
            PositiveWeights = all || config == "positive" ? pw : null,
            LabelSmoothing = all || config == "smoothing" ? 0.1 : 0,
        };
    }

    /// <summary>One configuration on float (fused) and on double (generic); compares value, gradient and losses.</summary>
    private static void AssertMatchesGeneric(string config, int n, int k, Reduction reduction, int seed, int threads = 1)
    {
        var (x, y, e) = Data(n * k, seed);
        var o = Options(config, k, reduction) with { MaxDegreeOfParallelism = threads };
        bool elementWeights = config.Contains("elements", StringComparison.Ordinal);
        bool rowWeights = config.Contains("rows", StringComparison.Ordinal);
        bool elementLosses = config.Contains("element-losses", StringComparison.Ordinal);
        float[] weights = elementWeights ? e : rowWeights ? [.. e.Take(n).Select(v => v + 0.5f)] : [];
        int lossLength = elementLosses ? n * k : reduction == Reduction.None ? n : 0;

        var g = new float[n * k];
        var l = new float[lossLength];
        var gd = new double[n * k];
        var ld = new double[lossLength];
        var r = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, k, o, g, l, weights);
        var rd = SigmoidBinaryCrossEntropy.Evaluate<double>(Wide(x), Wide(y), k, o, gd, ld, Wide(weights));

        double scale = Math.Abs(rd.Value) > 0 && rd.Sum != 0 ? Math.Abs(rd.Value / rd.Sum) : 1;
        string what = $"{config} N={n} K={k} {reduction}";
        Assert.True(Math.Abs(r.Value - rd.Value) <= (1e-6 * Math.Abs(rd.Value)) + 1e-12, $"{what}: value {r.Value:R} vs {rd.Value:R}");
        for (int j = 0; j < gd.Length; j++)
        {
            double unit = Unit(o, y, weights, n, k, j);
            Assert.True(Math.Abs(g[j] - gd[j]) <= 1e-6 * unit * Math.Max(scale, 1.0 / (n * k)) + 1e-30,
                $"{what}: gradient[{j}] {g[j]:R} vs {gd[j]:R}");
        }

        for (int j = 0; j < ld.Length; j++)
        {
            double unit = elementLosses ? Unit(o, y, weights, n, k, j) : Enumerable.Range(j * k, k).Sum(c => Unit(o, y, weights, n, k, c));
            Assert.True(Math.Abs(l[j] - ld[j]) <= 1e-6 * (Math.Abs(ld[j]) + unit), $"{what}: losses[{j}] {l[j]:R} vs {ld[j]:R}");
        }
    }

    /// <summary>An element's terms: its weight times its target mass, <c>w (pw y' + 1 - y')</c>.</summary>
    private static double Unit(SigmoidBinaryCrossEntropyOptions o, float[] y, float[] weights, int n, int k, int j)
    {
        int c = j % k;
        double w = (o.ClassWeights?[c] ?? 1.0) * (weights.Length == n * k ? weights[j] : weights.Length == n ? weights[j / k] : 1.0);
        double ys = (y[j] * (1 - o.LabelSmoothing)) + (0.5 * o.LabelSmoothing);
        return w * (((o.PositiveWeights?[c] ?? 1.0) * ys) + (1 - ys));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void EveryOption_FusedFloatPathMatchesTheGenericDoubleKernel_ForEveryShape(string config)
    {
        int seed = 0;
        foreach (int k in new[] { 1, 2, 3, 5, 15, 16, 17, 33, 64, 100 })
        {
            foreach (int n in new[] { 1, 3, 17 })
            {
                foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None, Reduction.BatchMean })
                {
                    AssertMatchesGeneric(config, n, k, reduction, ++seed);
                }
            }
        }
    }

    [Theory]
    [InlineData("all+elements")]
    [InlineData("all+rows")]
    [InlineData("all+element-losses")]
    [InlineData("class+positive+smoothing")]
    public void EveryOption_OnBatchesThatGoParallel_MatchesTheGenericKernel(string config)
    {
        AssertMatchesGeneric(config, 701, 65, Reduction.Mean, 5, threads: 2);
        AssertMatchesGeneric(config, 40, 1000, Reduction.None, 6, threads: 2);
    }

    [Theory]
    [InlineData("all+elements", 2)]
    [InlineData("all+elements", 3)]
    [InlineData("all+element-losses", 2)]
    [InlineData("all+rows", 3)]
    [InlineData("smoothing", 2)]
    public void EveryOption_IsBitIdenticalForAnyThreadCount(string config, int threads)
    {
        const int n = 333, k = 250; // 83,250 elements: several blocks on any path
        var (x, y, e) = Data(n * k, 21);
        var o = Options(config, k, config.Contains("losses", StringComparison.Ordinal) ? Reduction.None : Reduction.Mean);
        float[] weights = config.Contains("elements", StringComparison.Ordinal) ? e : config.Contains("rows", StringComparison.Ordinal) ? [.. e.Take(n)] : [];
        int lossLength = config.Contains("element-losses", StringComparison.Ordinal) ? n * k : n;
        var g1 = new float[n * k];
        var gt = new float[n * k];
        var l1 = new float[lossLength];
        var lt = new float[lossLength];
        var r1 = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, k, o with { MaxDegreeOfParallelism = 1 }, g1, l1, weights);
        var rt = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, k, o with { MaxDegreeOfParallelism = threads }, gt, lt, weights);
        Assert.Equal(BitConverter.DoubleToInt64Bits(r1.Value), BitConverter.DoubleToInt64Bits(rt.Value));
        Assert.True(g1.AsSpan().SequenceEqual(gt));
        Assert.True(l1.AsSpan().SequenceEqual(lt));
    }

    [Fact]
    public void EveryOption_RunsTheFusedKernel_ItsSumIsTheValue()
    {
        // Reduction.Sum without row weights: the value is the kernel's sum; the fused kernel's, bit for bit.
        const int n = 37, k = 19;
        var (x, y, e) = Data(n * k, 31);
        var o = Options("all+elements", k, Reduction.Sum);
        var g = new float[n * k];
        var l = new float[n * k];
        double value = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, k, o, g, l, e).Value;
        double fused = SigmoidBinaryCrossEntropyKernel.FusedWithOptions<float>(x, y, k, 1.0, new float[n * k], new float[n * k], true, e,
            o.ClassWeights!.ToArray(), o.PositiveWeights!.ToArray(), o.LabelSmoothing, 1, out int checkFrom);
        Assert.Equal(n, checkFrom);
        Assert.Equal(BitConverter.DoubleToInt64Bits(fused), BitConverter.DoubleToInt64Bits(value));
    }

    [Fact]
    public void WeightsThatDoNotFitAFloat_TakeTheGenericKernel()
    {
        Assert.True(SigmoidBinaryCrossEntropyKernel.Covers([0, 1e-30, 1e30, 3.4e38], [2, 0]));
        Assert.False(SigmoidBinaryCrossEntropyKernel.Covers([1, 3.5e38], default)); // ∞ as a float
        Assert.False(SigmoidBinaryCrossEntropyKernel.Covers(default, [1e-40])); // subnormal as a float: lost bits
        Assert.False(SigmoidBinaryCrossEntropyKernel.Covers([1e-46], default)); // 0 as a float, not 0
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(300)]
    public void NonFiniteLogitsZeroAndExtremeWeights_RedoTheirChunkExactly_AndMatchTheGenericKernel(int at)
    {
        // Each case is the generic kernel's element function on the chunk that holds it: ±∞ and NaN logits with hard and
        // soft targets, a zero element weight on a NaN logit (0 and 0), a huge class weight on a huge logit (a float
        // element loss beyond float, a finite double sum), subnormal element weights (a product below float's normals).
        const int n = 40, k = 16;
        var (x, y, e) = Data(n * k, 41);
        double[] w = [.. Enumerable.Range(0, k).Select(c => c == at % k ? 1e30 : 1.0)];
        foreach (float bad in new[] { float.PositiveInfinity, float.NegativeInfinity, float.NaN, 3e38f })
        {
            foreach (float target in new[] { 0f, 1f, 0.25f })
            {
                foreach (float weight in new[] { 0f, 1f, 1e-45f, 3e-39f })
                {
                    x[at] = bad;
                    y[at] = target;
                    e[at] = weight;
                    e[(at + 1) % (n * k)] = 1e-44f;
                    var o = new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Sum, ClassWeights = w, LabelSmoothing = 0.05 };
                    var g = new float[n * k];
                    var l = new float[n * k];
                    var gd = new double[n * k];
                    var ld = new double[n * k];
                    double fast = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, k, o, g, l, e).Value;
                    double exact = SigmoidBinaryCrossEntropy.Evaluate<double>(Wide(x), Wide(y), k, o, gd, ld, Wide(e)).Value;
                    string what = $"x={bad} y={target} e={weight}";
                    if (double.IsFinite(exact))
                    {
                        Assert.True(Math.Abs(fast - exact) <= 1e-6 * Math.Abs(exact), $"{what}: {fast:R} vs {exact:R}");
                    }
                    else
                    {
                        Assert.True(exact.Equals(fast), $"{what}: {fast:R} vs {exact:R}");
                    }

                    for (int j = 0; j < gd.Length; j++)
                    {
                        double unit = Unit(o, y, e, n, k, j);
                        AssertClose(gd[j], g[j], unit, $"{what}: gradient[{j}]");
                        AssertClose(ld[j], l[j], unit, $"{what}: losses[{j}]");
                    }
                }
            }
        }
    }

    private static void AssertClose(double expected, float actual, double unit, string what)
    {
        if (double.IsNaN(expected) || Math.Abs(expected) > float.MaxValue)
        {
            Assert.True(((float)expected).Equals(actual), $"{what}: {actual:R} vs {expected:R}");
            return;
        }

        Assert.True(Math.Abs(actual - expected) <= (1e-6 * (Math.Abs(expected) + unit)) + 1e-38, $"{what}: {actual:R} vs {expected:R}");
    }

    [Fact]
    public void BadTargetWithEveryOption_IsRejectedWithItsRowAndColumn()
    {
        const int n = 50, k = 33;
        var (x, y, e) = Data(n * k, 51);
        y[(41 * k) + 30] = 1.5f;
        var o = Options("all+elements", k, Reduction.Mean);
        var ex = Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, k, o, new float[n * k], new float[n * k], e));
        Assert.Equal("targets", ex.ParamName);
        Assert.Contains("row 41, column 30", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EveryOption_AllocatesNothingOnTheCallingThreadOnceWarm(int threads)
    {
        int n = threads == 1 ? 64 : 400, k = 1000;
        var (x, y, e) = Data(n * k, 61);
        var g = new float[n * k];
        var l = new float[n * k];
        var rows = new float[n];
        var o = Options("all+elements", k, Reduction.None) with { MaxDegreeOfParallelism = threads };
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, k, o, g, l, e)));
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, k, o, g, rows)));
    }
}
