using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class AsymmetricLossTests
{
    /// <summary>The paper's formula written naively (σ, then logs and powers), for moderate logits only.</summary>
    private static double Naive(double x, double y, double gammaPos, double gammaNeg, double m)
    {
        double p = 1 / (1 + Math.Exp(-x));
        double pm = Math.Max(p - m, 0);
        double positive = -Math.Pow(1 - p, gammaPos) * Math.Log(p);
        double negative = pm == 0 ? 0 : -Math.Pow(pm, gammaNeg) * Math.Log(1 - pm);
        return (y * positive) + ((1 - y) * negative);
    }

    [Theory]
    [InlineData(4.0, 1.0, 0.05, Reduction.Mean, 2.0, false)]
    [InlineData(4.0, 0.0, 0.05, Reduction.Sum, 3.0, false)]
    [InlineData(2.0, 2.0, 0.0, Reduction.Sum, 3.0, true)]
    [InlineData(0.5, 0.25, 0.2, Reduction.None, 2.0, true)]
    [InlineData(0.0, 0.0, 0.1, Reduction.BatchMean, 1.0, true)]
    [InlineData(4.0, 1.0, 0.05, Reduction.Mean, 30.0, false)]
    public void Gradient_MatchesFiniteDifferences(double gammaNeg, double gammaPos, double margin, Reduction reduction, double scale, bool soft)
    {
        const int n = 6, k = 5;
        double[] x = Reference.RandomLogits(601, n * k, scale);
        double[] t = Array.ConvertAll(Reference.RandomLogits(602, n * k, 1.0), v => soft ? (v + 1) / 2 : v > 0 ? 1.0 : 0.0);
        var o = new SigmoidAsymmetricFocalOptions { GammaNegative = gammaNeg, GammaPositive = gammaPos, Margin = margin, Reduction = reduction };
        var g = new double[n * k];
        SigmoidAsymmetricFocal.Evaluate<double>(x, t, k, o, g, default);
        var check = GradientChecker.Check(v => SigmoidAsymmetricFocal.Evaluate<double>(v, t, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Values_MatchThePapersFormula_WithTheReferenceCodesDefaults()
    {
        // Ridnik et al. 2021, eq. (7)-(8): L+ = (1 - p)^γ+ log p, L- = p_m^γ- log(1 - p_m), p_m = max(p - m, 0);
        // the reference code's SigmoidAsymmetricFocal defaults γ- = 4, γ+ = 1, clip = 0.05.
        double[] x = [2.0, -1.0, 0.5, -3.0, -2.9, 4.0, 0.0, 1.5];
        double[] y = [1, 0, 0, 1, 0, 0, 1, 0.0];
        var elements = new double[8];
        var r = SigmoidAsymmetricFocal.Evaluate<double>(x, y, 4, new SigmoidAsymmetricFocalOptions { Reduction = Reduction.Sum }, default, elements);
        double total = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Naive(x[i], y[i], 1, 4, 0.05);
            Assert.Equal(expected, elements[i], 14);
            total += expected;
        }

        Assert.Equal(total, r.Value, 13);
        Assert.True(elements[4] > 0); // σ(-2.9) = 0.052 > 0.05: not yet an easy negative
    }

    [Fact]
    public void EasyNegatives_BelowTheMargin_CostExactlyZero()
    {
        // σ(-3) = 0.047 < 0.05: the shifted probability is 0, so loss and gradient are 0.
        var g = new double[2];
        var r = SigmoidAsymmetricFocal.Evaluate<double>([-3.0, -20.0], [0.0, 0.0], 2, null, g, default);
        Assert.Equal(0.0, r.Value);
        Assert.Equal([0.0, 0.0], g);
    }

    [Fact]
    public void EqualGammasWithoutMargin_GiveTheSigmoidFocalLossWithoutAlpha()
    {
        const int n = 5, k = 6;
        double[] x = Reference.RandomLogits(603, n * k, 6.0);
        double[] t = Array.ConvertAll(Reference.RandomLogits(604, n * k, 1.0), v => v > 0 ? 1.0 : 0.0);
        foreach (double gamma in new[] { 0.0, 0.5, 2.0 })
        {
            var ga = new double[n * k];
            var gf = new double[n * k];
            var asl = SigmoidAsymmetricFocal.Evaluate<double>(x, t, k, new SigmoidAsymmetricFocalOptions { GammaNegative = gamma, GammaPositive = gamma, Margin = 0 }, ga, default);
            var focal = SigmoidFocal.Evaluate<double>(x, t, k, new SigmoidFocalOptions { Gamma = gamma, ApplyClassBalancing = false }, gf, default);
            Assert.Equal(focal.Value, asl.Value, 13);
            for (int i = 0; i < ga.Length; i++)
            {
                Assert.Equal(gf[i], ga[i], 14);
            }
        }
    }

    [Fact]
    public void LargeAndInfiniteLogits_GiveExactFiniteResults()
    {
        // ±1e4 against the matching target: 0; against the other: the margin 1e4 (times a focusing factor of 1), or for a
        // negative with m = 0.05: -(0.95)^4 log(0.05).
        var elements = new double[4];
        var g = new double[4];
        SigmoidAsymmetricFocal.Evaluate<double>([1e4, -1e4, -1e4, 1e4], [1.0, 0, 1, 0], 4, new SigmoidAsymmetricFocalOptions { Reduction = Reduction.None }, g, elements);
        Assert.Equal([0.0, 0.0, 1e4], elements[..3]);
        Assert.Equal(-Math.Pow(0.95, 4) * Math.Log(0.05), elements[3], 14);
        Assert.Equal([0.0, 0.0, -1.0, 0.0], g);
        SigmoidAsymmetricFocal.Evaluate<double>([double.PositiveInfinity, double.NegativeInfinity], [1.0, 0.0], 2, new SigmoidAsymmetricFocalOptions { Margin = 0, Reduction = Reduction.None }, g.AsSpan(0, 2), elements.AsSpan(0, 2));
        Assert.Equal([0.0, 0.0], elements[..2]);
        Assert.Equal([0.0, 0.0], g[..2]);
    }

    [Fact]
    public void BadInputs_ThrowNamingTheOptionOrTheArgumentRowAndColumn()
    {
        double[] x = new double[4];
        double[] t = [0, 1, 0, 1];
        Assert.Equal("GammaNegative", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SigmoidAsymmetricFocal.Evaluate<double>(x, t, 2, new SigmoidAsymmetricFocalOptions { GammaNegative = -1 }, default, default)).ParamName);
        Assert.Equal("GammaPositive", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SigmoidAsymmetricFocal.Evaluate<double>(x, t, 2, new SigmoidAsymmetricFocalOptions { GammaPositive = double.NaN }, default, default)).ParamName);
        Assert.Equal("Margin", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SigmoidAsymmetricFocal.Evaluate<double>(x, t, 2, new SigmoidAsymmetricFocalOptions { Margin = 1 }, default, default)).ParamName);
        var e = Assert.Throws<ArgumentException>(() => SigmoidAsymmetricFocal.Evaluate<double>(x, [0, 1, double.NaN, 1], 2, null, default, default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets row 1, column 0", e.Message, StringComparison.Ordinal);
    }
}
