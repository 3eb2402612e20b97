using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// Softmax cross-entropy with class indices on double input runs the double SIMD kernel
/// (<see cref="CrossEntropyIndexKernel.FusedDouble"/>), and it agrees with the generic (scalar double) kernel: loss and
/// row losses within 1e-14 relative (plus the reference's own summation error, <see cref="SumRel"/>) (or 1e-14 absolute below 1: the reference's own last bits), gradient entries within
/// 1e-14 of the row's gradient unit (and 4 ulps of the subnormal range, where relative precision ends); rows with NaN, +∞ or non-finite losses exactly as the generic kernel.
/// </summary>
public class DoubleSimdCrossEntropyTests
{
    public static readonly int[] Lengths = [.. Enumerable.Range(1, 40), 63, 64, 65, 1000];

    public static TheoryData<int> Ks => [.. Lengths];

    /// <summary>Row i has profile i mod 9 (adversarial) or i mod 5: 0 random in [-10, 10], 1 in [-1e4, 1e4], 2 with masked
    /// (-inf) classes (never the label), 3 subnormal and zero logits, 4 one dominant logit (p_y → 1), 5 a NaN, 6 a +inf,
    /// 7 a masked label, 8 all -inf.</summary>
    internal static (double[] Z, int[] Y) Batch(int n, int k, int seed, bool adversarial)
    {
        var rng = new Random(seed);
        var z = new double[n * k];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            int profile = adversarial ? i % 9 : i % 5;
            y[i] = i % 11 == 10 ? -100 : rng.Next(k);
            for (int c = 0; c < k; c++)
            {
                z[i * k + c] = profile switch
                {
                    1 => (rng.NextDouble() * 2e4) - 1e4,
                    3 => rng.Next(3) switch { 0 => 0.0, 1 => -double.Epsilon * rng.Next(1, 1000), _ => 1e-310 * rng.NextDouble() },
                    _ => (rng.NextDouble() * 20) - 10,
                };
            }

            int label = Math.Max(y[i], 0);
            switch (profile)
            {
                case 2:
                    for (int c = 0; c < k; c++)
                    {
                        if (c != label && rng.Next(3) == 0)
                        {
                            z[i * k + c] = double.NegativeInfinity;
                        }
                    }

                    break;
                case 4:
                    z[i * k + label] = 60;
                    break;
                case 5:
                    z[i * k + rng.Next(k)] = double.NaN;
                    break;
                case 6:
                    z[i * k + rng.Next(k)] = double.PositiveInfinity;
                    break;
                case 7:
                    z[i * k + label] = double.NegativeInfinity;
                    break;
                case 8:
                    Array.Fill(z, double.NegativeInfinity, i * k, k);
                    break;
            }
        }

        return (z, y);
    }

    internal static IEnumerable<SoftmaxCrossEntropyOptions> Options(int k)
    {
        var w = new double[k];
        for (int c = 0; c < k; c++)
        {
            w[c] = c % 4 == 3 ? 0 : 0.25 + (c % 7);
        }

        yield return new SoftmaxCrossEntropyOptions { Reduction = Reduction.None };
        yield return new SoftmaxCrossEntropyOptions { Reduction = Reduction.Mean };
        yield return new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum, ClassWeights = w };
        yield return new SoftmaxCrossEntropyOptions { Reduction = Reduction.Mean, LabelSmoothing = 0.1 };
        yield return new SoftmaxCrossEntropyOptions { Reduction = Reduction.Mean, LabelSmoothing = 0.2, ClassWeights = w, Temperature = 2.5 };
        yield return new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum, Temperature = 0.3 };
    }

    /// <summary>The relative tolerance of a row's loss, a sum of K terms: 1e-14, plus the worst-case error of the
    /// reference's own sequential sum (K roundings of 2^-53 of the sum's size).</summary>
    internal static double SumRel(int k) => 1e-14 + (k * Math.Pow(2, -53));

    internal static void AssertClose(double want, double got, double unit, string what, double rel = 1e-14)
    {
        if (!double.IsFinite(want) || !double.IsFinite(got))
        {
            Assert.True(BitConverter.DoubleToInt64Bits(want) == BitConverter.DoubleToInt64Bits(got) || (double.IsNaN(want) && double.IsNaN(got)),
                $"{what}: {got:R}, reference {want:R}");
            return;
        }

        // 1e-14 relative to the value or its unit, and a few ulps of the subnormal range (where relative precision ends).
        Assert.True(Math.Abs(got - want) <= (rel * (Math.Abs(want) + unit)) + (4 * double.Epsilon), $"{what}: {got:R}, reference {want:R} (unit {unit:R})");
    }

    private static void Compare(double[] z, int[] y, int k, SoftmaxCrossEntropyOptions o)
    {
        int n = y.Length;
        var g = new double[n * k];
        var r = new double[n];
        var gRef = new double[n * k];
        var rRef = new double[n];
        var got = SoftmaxCrossEntropy.Evaluate(z, y, k, o, g, r);
        var want = SoftmaxCrossEntropy.EvaluateGeneric<double>(z, y, k, o, gRef, rRef);
        string where = $"K={k}, ε={o.LabelSmoothing}, τ={o.Temperature}, weights={!o.WeightSpan.IsEmpty}, {o.Reduction}";
        AssertClose(want.Value, got.Value, 1, $"{where}: value", SumRel(k));
        double scale = o.Reduction == Reduction.Mean && want.Denominator > 0 ? 1 / want.Denominator : 1;
        for (int i = 0; i < n; i++)
        {
            AssertClose(rRef[i], r[i], 1, $"{where}: row {i} loss", SumRel(k));
            double unit = Math.Abs(scale) * (1 + o.WeightSpan.ToArray().DefaultIfEmpty(1).Max()) / o.Temperature;
            for (int c = 0; c < k; c++)
            {
                AssertClose(gRef[i * k + c], g[i * k + c], unit, $"{where}: row {i} gradient {c}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Ks))]
    public void DoubleSimd_MatchesScalarReference_OnRandomRows(int k)
    {
        var (z, y) = Batch(11, k, 100 + k, adversarial: false);
        foreach (var o in Options(k))
        {
            Compare(z, y, k, o);
        }
    }

    [Theory]
    [MemberData(nameof(Ks))]
    public void DoubleSimd_MatchesScalarReference_OnAdversarialRows(int k)
    {
        var (z, y) = Batch(27, k, 200 + k, adversarial: true);
        foreach (var o in Options(k))
        {
            Compare(z, y, k, o);
        }
    }

    [Fact]
    public void PublicDoubleCall_RunsTheDoubleSimdKernel()
    {
        // The public call's outputs are FusedDouble's bit for bit (and not the generic kernel's: the exp differs in last bits).
        const int k = 1000, n = 16;
        var (z, y) = Batch(n, k, 5, adversarial: false);
        var o = new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum };
        var g = new double[n * k];
        var r = new double[n];
        var gk = new double[n * k];
        var rk = new double[n];
        var gRef = new double[n * k];
        double value = SoftmaxCrossEntropy.Evaluate(z, y, k, o, g, r).Value;
        double sum = CrossEntropyIndexKernel.FusedDouble(z, y, k, default, 0, 1, -100, 1, gk, rk, 1);
        SoftmaxCrossEntropy.EvaluateGeneric<double>(z, y, k, o, gRef, new double[n]);
        Assert.Equal(BitConverter.DoubleToInt64Bits(sum), BitConverter.DoubleToInt64Bits(value));
        Assert.True(g.AsSpan().SequenceEqual(gk) && r.AsSpan().SequenceEqual(rk));
        Assert.False(g.AsSpan().SequenceEqual(gRef), "the generic kernel would give these bits");
    }

    [Fact]
    public void DoubleSimd_GivesTheSameBitsForAnyThreadCount()
    {
        const int n = 700, k = 333;
        var (z, y) = Batch(n, k, 77, adversarial: true);
        foreach (var o in Options(k))
        {
            ThreadCountBits.AssertSame(n * k, n, (threads, g, r) => SoftmaxCrossEntropy.Evaluate(z, y, k, o with { MaxDegreeOfParallelism = threads }, g, r).Value);
        }
    }
}
