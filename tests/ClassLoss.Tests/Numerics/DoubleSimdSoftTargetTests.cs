using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// Softmax cross-entropy with probability targets on double input runs the double SIMD kernel
/// (<see cref="CrossEntropySoftKernel.FusedDouble"/>) and agrees with the generic (scalar double) kernel within the
/// tolerances of <see cref="DoubleSimdCrossEntropyTests"/>; bad targets throw the generic path's exception.
/// </summary>
public class DoubleSimdSoftTargetTests
{
    public static TheoryData<int> Ks => [.. DoubleSimdCrossEntropyTests.Lengths];

    /// <summary>The logits of <see cref="DoubleSimdCrossEntropyTests"/>' batches and probability rows (some one-hot, some
    /// with zeros), zero wherever a logit is masked except in rows that put mass on a masked class (an infinite loss).</summary>
    private static (double[] Z, double[] T) Batch(int n, int k, int seed, bool adversarial)
    {
        var (z, _) = DoubleSimdCrossEntropyTests.Batch(n, k, seed, adversarial);
        var rng = new Random(seed + 1);
        var t = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                bool masked = double.IsNegativeInfinity(z[i * k + c]) && i % 4 != 3;
                t[i * k + c] = masked || (i % 3 == 1 && rng.Next(2) == 0) ? 0 : rng.NextDouble();
                sum += t[i * k + c];
            }

            if (i % 5 == 2 || sum == 0)
            {
                Array.Clear(t, i * k, k);
                int hot = rng.Next(k);
                t[i * k + hot] = 1;
                sum = 1;
            }

            for (int c = 0; c < k; c++)
            {
                t[i * k + c] /= sum;
            }
        }

        return (z, t);
    }

    private static void Compare(double[] z, double[] t, int k, SoftmaxCrossEntropyOptions o)
    {
        int n = z.Length / k;
        var g = new double[n * k];
        var r = new double[n];
        var gRef = new double[n * k];
        var rRef = new double[n];
        var got = SoftmaxCrossEntropy.Evaluate(z, t, k, o, g, r);
        var want = SoftmaxCrossEntropy.EvaluateGeneric<double>(z, t, k, o, gRef, rRef);
        string where = $"K={k}, ε={o.LabelSmoothing}, τ={o.Temperature}, weights={!o.WeightSpan.IsEmpty}, {o.Reduction}";
        DoubleSimdCrossEntropyTests.AssertClose(want.Value, got.Value, 1, $"{where}: value", DoubleSimdCrossEntropyTests.SumRel(k));
        double scale = o.Reduction == Reduction.Mean && want.Denominator > 0 ? 1 / want.Denominator : 1;
        double unit = scale * (1 + o.WeightSpan.ToArray().DefaultIfEmpty(1).Max()) / o.Temperature;
        for (int i = 0; i < n; i++)
        {
            DoubleSimdCrossEntropyTests.AssertClose(rRef[i], r[i], 1, $"{where}: row {i} loss", DoubleSimdCrossEntropyTests.SumRel(k));
            for (int c = 0; c < k; c++)
            {
                DoubleSimdCrossEntropyTests.AssertClose(gRef[i * k + c], g[i * k + c], unit, $"{where}: row {i} gradient {c}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Ks))]
    public void DoubleSimd_MatchesScalarReference_OnRandomRows(int k)
    {
        var (z, t) = Batch(11, k, 500 + k, adversarial: false);
        foreach (var o in DoubleSimdCrossEntropyTests.Options(k))
        {
            Compare(z, t, k, o);
        }
    }

    [Theory]
    [MemberData(nameof(Ks))]
    public void DoubleSimd_MatchesScalarReference_OnAdversarialRows(int k)
    {
        var (z, t) = Batch(27, k, 600 + k, adversarial: true);
        foreach (var o in DoubleSimdCrossEntropyTests.Options(k))
        {
            Compare(z, t, k, o);
        }
    }

    [Fact]
    public void PublicDoubleCall_RunsTheDoubleSimdKernel()
    {
        const int k = 1000, n = 16;
        var (z, t) = Batch(n, k, 8, adversarial: false);
        var o = new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum };
        var g = new double[n * k];
        var r = new double[n];
        var gk = new double[n * k];
        var rk = new double[n];
        var gRef = new double[n * k];
        double value = SoftmaxCrossEntropy.Evaluate(z, t, k, o, g, r).Value;
        double sum = CrossEntropySoftKernel.FusedDouble(z, t, k, default, 0, 1, o.TargetSumTolerance, 1, gk, rk, 1, out int checkFrom);
        SoftmaxCrossEntropy.EvaluateGeneric<double>(z, t, k, o, gRef, new double[n]);
        Assert.Equal(n, checkFrom);
        Assert.Equal(BitConverter.DoubleToInt64Bits(sum), BitConverter.DoubleToInt64Bits(value));
        Assert.True(g.AsSpan().SequenceEqual(gk) && r.AsSpan().SequenceEqual(rk));
        Assert.False(g.AsSpan().SequenceEqual(gRef), "the generic kernel would give these bits");
    }

    [Theory]
    [InlineData(7, 1.5)]
    [InlineData(64, -0.25)]
    [InlineData(65, double.NaN)]
    [InlineData(9, 0.01)] // a row that sums to 1.01: outside the default tolerance
    [InlineData(33, 5e-5)] // a row that sums to 1 + 5e-5: inside it, near its edge (the exact check decides)
    public void BadTargets_ThrowTheGenericPathsException(int k, double change)
    {
        var (z, t) = Batch(6, k, 9, adversarial: false);
        int at = (4 * k) + (k / 2);
        t[at] = Math.Abs(change) < 0.1 ? t[at] + change : change;
        var o = new SoftmaxCrossEntropyOptions();
        Exception? Run(bool generic)
        {
            try
            {
                _ = generic
                    ? SoftmaxCrossEntropy.EvaluateGeneric<double>(z, t, k, o, new double[z.Length], default)
                    : SoftmaxCrossEntropy.Evaluate(z, t, k, o, new double[z.Length], default);
                return null;
            }
            catch (ArgumentException e)
            {
                return e;
            }
        }

        Exception? fused = Run(false), reference = Run(true);
        Assert.Equal(reference?.Message, fused?.Message);
        Assert.Equal(change != 5e-5, reference is not null);
    }

    [Fact]
    public void DoubleSimd_GivesTheSameBitsForAnyThreadCount()
    {
        const int n = 700, k = 333;
        var (z, t) = Batch(n, k, 79, adversarial: true);
        foreach (var o in DoubleSimdCrossEntropyTests.Options(k))
        {
            ThreadCountBits.AssertSame(n * k, n, (threads, g, r) => SoftmaxCrossEntropy.Evaluate(z, t, k, o with { MaxDegreeOfParallelism = threads }, g, r).Value);
        }
    }
}
