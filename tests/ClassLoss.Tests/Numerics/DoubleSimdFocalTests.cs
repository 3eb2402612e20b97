using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The softmax focal loss with class indices (no smoothing) on double input runs the double SIMD kernel
/// (<see cref="SoftmaxFocalKernel.FusedDouble"/>) and agrees with the generic (scalar double) kernel within the
/// tolerances of <see cref="DoubleSimdCrossEntropyTests"/>; rows with NaN, +∞ or non-finite losses exactly as it.
/// </summary>
public class DoubleSimdFocalTests
{
    public static TheoryData<int> Ks => [.. DoubleSimdCrossEntropyTests.Lengths];

    private static IEnumerable<SoftmaxFocalOptions> Options(int k)
    {
        double[] alpha = [.. Enumerable.Range(0, k).Select(c => c % 4 == 3 ? 0.0 : 0.1 + (c % 5))];
        yield return new SoftmaxFocalOptions { Reduction = Reduction.None };
        yield return new SoftmaxFocalOptions { Reduction = Reduction.Mean, Gamma = 0 };
        yield return new SoftmaxFocalOptions { Reduction = Reduction.Sum, Gamma = 0.5, Alpha = 1 };
        yield return new SoftmaxFocalOptions { Reduction = Reduction.Mean, Gamma = 3.7, ClassAlpha = alpha };
    }

    private static void Compare(double[] z, int[] y, int k, SoftmaxFocalOptions o)
    {
        int n = y.Length;
        var g = new double[n * k];
        var r = new double[n];
        var gRef = new double[n * k];
        var rRef = new double[n];
        var got = SoftmaxFocal.Evaluate(z, y, k, o, g, r);
        var want = SoftmaxFocal.EvaluateGeneric<double>(z, y, k, o, gRef, rRef);
        string where = $"K={k}, γ={o.Gamma}, α={o.Alpha}, class α={o.ClassAlpha is not null}, {o.Reduction}";
        DoubleSimdCrossEntropyTests.AssertClose(want.Value, got.Value, 1, $"{where}: value");
        double scale = o.Reduction == Reduction.Mean && want.Denominator > 0 ? 1 / want.Denominator : 1;
        // The gradient's unit: α (B + C), with C up to γ L / q · p q^γ, bounded by a few α (1 + γ) for these rows.
        double unit = scale * 5 * (1 + o.Gamma) * 4;
        for (int i = 0; i < n; i++)
        {
            DoubleSimdCrossEntropyTests.AssertClose(rRef[i], r[i], 1, $"{where}: row {i} loss");
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
        var (z, y) = DoubleSimdCrossEntropyTests.Batch(11, k, 700 + k, adversarial: false);
        foreach (var o in Options(k))
        {
            Compare(z, y, k, o);
        }
    }

    [Theory]
    [MemberData(nameof(Ks))]
    public void DoubleSimd_MatchesScalarReference_OnAdversarialRows(int k)
    {
        var (z, y) = DoubleSimdCrossEntropyTests.Batch(27, k, 800 + k, adversarial: true);
        foreach (var o in Options(k))
        {
            Compare(z, y, k, o);
        }
    }

    [Fact]
    public void PublicDoubleCall_RunsTheDoubleSimdKernel()
    {
        const int k = 1000, n = 16;
        var (z, y) = DoubleSimdCrossEntropyTests.Batch(n, k, 10, adversarial: false);
        var o = new SoftmaxFocalOptions { Reduction = Reduction.Sum };
        var g = new double[n * k];
        var r = new double[n];
        var gk = new double[n * k];
        var rk = new double[n];
        var gRef = new double[n * k];
        double value = SoftmaxFocal.Evaluate(z, y, k, o, g, r).Value;
        double sum = SoftmaxFocalKernel.FusedDouble(z, y, k, o.Gamma, o.Alpha, default, o.IgnoreIndex, 1, gk, rk, 1);
        SoftmaxFocal.EvaluateGeneric<double>(z, y, k, o, gRef, new double[n]);
        Assert.Equal(BitConverter.DoubleToInt64Bits(sum), BitConverter.DoubleToInt64Bits(value));
        Assert.True(g.AsSpan().SequenceEqual(gk) && r.AsSpan().SequenceEqual(rk));
        Assert.False(g.AsSpan().SequenceEqual(gRef), "the generic kernel would give these bits");
    }

    [Fact]
    public void DoubleSimd_GivesTheSameBitsForAnyThreadCount()
    {
        const int n = 700, k = 333;
        var (z, y) = DoubleSimdCrossEntropyTests.Batch(n, k, 80, adversarial: true);
        foreach (var o in Options(k))
        {
            ThreadCountBits.AssertSame(n * k, n, (threads, g, r) => SoftmaxFocal.Evaluate(z, y, k, o with { MaxDegreeOfParallelism = threads }, g, r).Value);
        }
    }
}
