using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// Binary cross-entropy with logits on double input runs the double SIMD kernel
/// (<see cref="SigmoidBinaryCrossEntropyKernel.FusedDouble"/>), and it agrees with the generic (scalar double) kernel:
/// losses within 1e-14 relative, gradient entries within 1e-14 of the element's gradient unit, non-finite logits
/// exactly as the generic kernel; a bad target throws the same exception.
/// </summary>
public class DoubleSimdBinaryCrossEntropyTests
{
    public static TheoryData<int> Ks => [.. DoubleSimdCrossEntropyTests.Lengths];

    /// <summary>Element j of row i: profile (i + j) mod 6 when adversarial (random, ±1e4, subnormal or zero, ±inf or NaN,
    /// ±40, random), else random in [-10, 10]; targets 0, 1 or uniform.</summary>
    private static (double[] X, double[] T, double[] Ew) Batch(int n, int k, int seed, bool adversarial)
    {
        var rng = new Random(seed);
        var x = new double[n * k];
        var t = new double[n * k];
        var ew = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                int at = i * k + j;
                x[at] = (adversarial ? (i + j) % 6 : 0) switch
                {
                    1 => rng.Next(2) == 0 ? 1e4 : -1e4 * rng.NextDouble(),
                    2 => rng.Next(3) switch { 0 => 0.0, 1 => -double.Epsilon * rng.Next(1, 100), _ => 1e-310 },
                    3 => i % 5 == 0 ? (rng.Next(3) switch { 0 => double.PositiveInfinity, 1 => double.NegativeInfinity, _ => double.NaN }) : 3,
                    4 => rng.Next(2) == 0 ? 40 : -40,
                    _ => (rng.NextDouble() * 20) - 10,
                };
                t[at] = rng.Next(3) switch { 0 => 0, 1 => 1, _ => rng.NextDouble() };
                ew[at] = j % 5 == 4 ? 0 : 0.5 + rng.NextDouble();
            }
        }

        return (x, t, ew);
    }

    private static IEnumerable<(SigmoidBinaryCrossEntropyOptions O, bool ElementWeights, bool PerElement)> Options(int k)
    {
        var w = new double[k];
        var pw = new double[k];
        for (int c = 0; c < k; c++)
        {
            w[c] = c % 4 == 3 ? 0 : 0.25 + (c % 7);
            pw[c] = 0.5 + (c % 3);
        }

        yield return (new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Mean }, false, false);
        yield return (new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.None }, false, true);
        yield return (new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Sum, LabelSmoothing = 0.1 }, false, false);
        yield return (new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Mean, ClassWeights = w }, false, false);
        yield return (new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Sum, PositiveWeights = pw, LabelSmoothing = 0.2 }, false, true);
        yield return (new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Mean, ClassWeights = w, PositiveWeights = pw }, true, false);
    }

    private static void Compare(double[] x, double[] t, double[] ew, int k, SigmoidBinaryCrossEntropyOptions o, bool elementWeights, bool perElement)
    {
        int n = x.Length / k;
        int width = perElement ? n * k : n;
        var g = new double[n * k];
        var l = new double[width];
        var gRef = new double[n * k];
        var lRef = new double[width];
        ReadOnlySpan<double> weights = elementWeights ? ew : default;
        var got = SigmoidBinaryCrossEntropy.Evaluate(x, t, k, o, g, l, weights);
        var want = SigmoidBinaryCrossEntropy.EvaluateGeneric<double>(x, t, k, o, gRef, lRef, weights);
        string where = $"K={k}, ε={o.LabelSmoothing}, weights={!o.WeightSpan.IsEmpty}, pw={!o.PositiveWeightSpan.IsEmpty}, element weights={elementWeights}, per element={perElement}, {o.Reduction}";
        DoubleSimdCrossEntropyTests.AssertClose(want.Value, got.Value, 0, $"{where}: value", DoubleSimdCrossEntropyTests.SumRel(k));
        for (int i = 0; i < width; i++)
        {
            DoubleSimdCrossEntropyTests.AssertClose(lRef[i], l[i], 0, $"{where}: loss {i}", DoubleSimdCrossEntropyTests.SumRel(k));
        }

        double scale = o.Reduction == Reduction.Mean ? 1.0 / (n * k) : 1;
        double unit = scale * 8 * 2 * 4; // max class weight × max element weight × (1 + max positive weight)
        for (int i = 0; i < n * k; i++)
        {
            DoubleSimdCrossEntropyTests.AssertClose(gRef[i], g[i], unit, $"{where}: gradient {i} (x = {x[i]:R}, t = {t[i]:R})");
        }
    }

    [Theory]
    [MemberData(nameof(Ks))]
    public void DoubleSimd_MatchesScalarReference_OnRandomElements(int k)
    {
        var (x, t, ew) = Batch(9, k, 300 + k, adversarial: false);
        foreach (var (o, e, p) in Options(k))
        {
            Compare(x, t, ew, k, o, e, p);
        }
    }

    [Theory]
    [MemberData(nameof(Ks))]
    public void DoubleSimd_MatchesScalarReference_OnAdversarialElements(int k)
    {
        var (x, t, ew) = Batch(23, k, 400 + k, adversarial: true);
        foreach (var (o, e, p) in Options(k))
        {
            Compare(x, t, ew, k, o, e, p);
        }
    }

    [Fact]
    public void PublicDoubleCall_RunsTheDoubleSimdKernel()
    {
        const int k = 1000, n = 16;
        var (x, t, _) = Batch(n, k, 6, adversarial: false);
        var g = new double[n * k];
        var r = new double[n];
        var gk = new double[n * k];
        var rk = new double[n];
        var gRef = new double[n * k];
        var o = new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Sum };
        double value = SigmoidBinaryCrossEntropy.Evaluate(x, t, k, o, g, r).Value;
        double sum = SigmoidBinaryCrossEntropyKernel.FusedDouble(x, t, k, 1, gk, rk, false, default, default, default, 0, 1, out int checkFrom);
        SigmoidBinaryCrossEntropy.EvaluateGeneric<double>(x, t, k, o, gRef, new double[n]);
        Assert.Equal(n, checkFrom);
        Assert.Equal(BitConverter.DoubleToInt64Bits(sum), BitConverter.DoubleToInt64Bits(value));
        Assert.True(g.AsSpan().SequenceEqual(gk) && r.AsSpan().SequenceEqual(rk));
        Assert.False(g.AsSpan().SequenceEqual(gRef), "the generic kernel would give these bits");
    }

    [Theory]
    [InlineData(1.5, 7)]
    [InlineData(-0.25, 63)]
    [InlineData(double.NaN, 64)]
    public void BadTarget_ThrowsTheGenericPathsException(double bad, int k)
    {
        var (x, t, _) = Batch(5, k, 7, adversarial: false);
        t[3 * k + (k / 2)] = bad;
        var o = new SigmoidBinaryCrossEntropyOptions();
        var fused = Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate(x, t, k, o, new double[x.Length], default));
        var generic = Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.EvaluateGeneric<double>(x, t, k, o, new double[x.Length], default));
        Assert.Equal(generic.Message, fused.Message);
    }

    [Fact]
    public void DoubleSimd_GivesTheSameBitsForAnyThreadCount()
    {
        const int n = 700, k = 333;
        var (x, t, ew) = Batch(n, k, 78, adversarial: true);
        foreach (var (o, e, p) in Options(k))
        {
            ThreadCountBits.AssertSame(n * k, p ? n * k : n,
                (threads, g, l) => SigmoidBinaryCrossEntropy.Evaluate(x, t, k, o with { MaxDegreeOfParallelism = threads }, g, l, e ? ew : default).Value);
        }
    }
}
