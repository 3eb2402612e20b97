using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class GaussianNegativeLogLikelihoodTests
{
    private static double[] Variances(int seed, int length) =>
        Array.ConvertAll(Reference.RandomLogits(seed, length, 1.0), v => 0.1 + (v * v * 2));

    [Theory]
    [InlineData(false, false, Reduction.Mean)]
    [InlineData(true, false, Reduction.Sum)]
    [InlineData(false, true, Reduction.None)]
    [InlineData(true, true, Reduction.BatchMean)]
    public void Gradients_OfMeanAndVariance_MatchFiniteDifferences(bool perRow, bool full, Reduction reduction)
    {
        const int n = 5, k = 4;
        double[] x = Reference.RandomLogits(701, n * k, 3.0);
        double[] t = Reference.RandomLogits(702, n * k, 3.0);
        double[] v = Variances(703, perRow ? n : n * k);
        var o = new GaussianNegativeLogLikelihoodOptions { Full = full, Reduction = reduction };
        var g = new double[n * k];
        var gv = new double[v.Length];
        GaussianNegativeLogLikelihood.Evaluate<double>(x, t, v, k, o, g, gv, default);
        var check = GradientChecker.Check(p => GaussianNegativeLogLikelihood.Evaluate<double>(p, t, v, k, o, default, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"input: max rel error {check.MaxRelativeError} at {check.WorstIndex}");
        check = GradientChecker.Check(p => GaussianNegativeLogLikelihood.Evaluate<double>(x, t, p, k, o, default, default, default).Value, v, gv);
        Assert.True(check.Passes(gv, 1e-6, 1e-8), $"variance: max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void ClampedVariances_HaveZeroGradient_ByDefault_AsFiniteDifferencesSee()
    {
        double[] x = [1, 2, 3, 4];
        double[] t = [1.5, 1, 3, 4.5];
        double[] v = [0.5, 1, 2, 1e-8];
        var o = new GaussianNegativeLogLikelihoodOptions { Reduction = Reduction.Sum };
        var gv = new double[4];
        GaussianNegativeLogLikelihood.Evaluate<double>(x, t, v, 4, o, default, gv, default);
        double Loss(int i, double h)
        {
            double[] p = (double[])v.Clone();
            p[i] += h;
            return GaussianNegativeLogLikelihood.Evaluate<double>(x, t, p, 4, o, default, default, default).Value;
        }

        for (int i = 0; i < 4; i++)
        {
            double h = i == 3 ? 1e-9 : 1e-6; // the clamped entry stays below the floor of 1e-6 on both sides
            double numeric = (Loss(i, h) - Loss(i, -h)) / (2 * h);
            // The clamped term (~1.2e5) dominates the sum, so a step of 1e-6 leaves ~1e-5 of rounding in the quotient.
            Assert.True(Math.Abs(numeric - gv[i]) <= 1e-4, $"entry {i}: numeric {numeric}, analytic {gv[i]}");
        }

        Assert.Equal(0.0, gv[3]);
    }

    [Fact]
    public void MatchesTorch_IncludingItsStraightThroughGradientAtTheClamp()
    {
        // torch 1.13 float64: F.gaussian_nll_loss([[1, 2, 3, 4]], [[1.5, 1, 3, 4.5]], var=[[0.5, 1, 2, 1e-8]], full=True,
        // reduction='sum') -> 124997.51799885383; input.grad [-1, 1, 0, -5e5]; var.grad [0.5, 0, 0.25, -124999500000] (the last
        // var is clamped to eps = 1e-6 in place under no_grad, so its gradient is the derivative at eps).
        double[] x = [1, 2, 3, 4];
        double[] t = [1.5, 1, 3, 4.5];
        double[] v = [0.5, 1, 2, 1e-8];
        var o = new GaussianNegativeLogLikelihoodOptions { Full = true, Reduction = Reduction.Sum, ClampedGradient = ClampedVarianceGradient.StraightThrough };
        var g = new double[4];
        var gv = new double[4];
        var r = GaussianNegativeLogLikelihood.Evaluate<double>(x, t, v, 4, o, g, gv, default);
        Assert.Equal(124997.51799885383, r.Value, 9);
        Assert.Equal([-1.0, 1.0, 0.0, -5e5], g.Select(d => Math.Round(d, 6)).ToArray());
        Assert.Equal([0.5, 0.0, 0.25, -124999500000.0], gv.Select(d => Math.Round(d, 3)).ToArray());
    }

    [Fact]
    public void SharedUnitVariance_IsHalfTheSquaredError_AndFullAddsHalfLogTwoPi()
    {
        // Seed 001: MSE is the Gaussian negative log-likelihood; with σ² = 1 each element costs ½ (x - t)².
        double[] x = Reference.RandomLogits(704, 12, 2.0);
        double[] t = Reference.RandomLogits(705, 12, 2.0);
        double half = x.Zip(t, (a, b) => 0.5 * (a - b) * (a - b)).Average();
        var g = new double[12];
        Assert.Equal(half, GaussianNegativeLogLikelihood.Evaluate<double>(x, t, 3, null, g, default).Value, 14);
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal((x[i] - t[i]) / 12, g[i], 15);
        }

        Assert.Equal(half + (0.5 * Math.Log(2 * Math.PI)), GaussianNegativeLogLikelihood.Evaluate<double>(x, t, 3,
            new GaussianNegativeLogLikelihoodOptions { Full = true }, default, default).Value, 14);
        double quarter = GaussianNegativeLogLikelihood.Evaluate<double>(x, t, 3, new GaussianNegativeLogLikelihoodOptions { SharedVariance = 4 }, default, default).Value;
        Assert.Equal((half / 4) + (0.5 * Math.Log(4)), quarter, 14);
    }

    [Fact]
    public void APerRowVariance_EqualsItsBroadcast_AndItsGradientSumsTheRow()
    {
        const int n = 4, k = 3;
        double[] x = Reference.RandomLogits(706, n * k, 2.0);
        double[] t = Reference.RandomLogits(707, n * k, 2.0);
        double[] rowVar = Variances(708, n);
        double[] broadcast = new double[n * k];
        for (int i = 0; i < broadcast.Length; i++)
        {
            broadcast[i] = rowVar[i / k];
        }

        var gRow = new double[n];
        var gElem = new double[n * k];
        var elements = new double[n * k];
        var rowLosses = new double[n];
        var a = GaussianNegativeLogLikelihood.Evaluate<double>(x, t, rowVar, k, null, default, gRow, elements);
        var b = GaussianNegativeLogLikelihood.Evaluate<double>(x, t, broadcast, k, null, default, gElem, rowLosses);
        Assert.Equal(b.Value, a.Value, 15);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(gElem[(i * k)] + gElem[(i * k) + 1] + gElem[(i * k) + 2], gRow[i], 13);
            Assert.Equal(elements[(i * k)] + elements[(i * k) + 1] + elements[(i * k) + 2], rowLosses[i], 14);
        }
    }

    [Fact]
    public void BadInputs_ThrowNamingTheArgumentRowAndColumn()
    {
        double[] x = new double[4], t = new double[4];
        var e = Assert.Throws<ArgumentException>(() => GaussianNegativeLogLikelihood.Evaluate<double>(x, t, [1.0, 1, 1, -1], 2, null, default, default, default));
        Assert.Equal("variance", e.ParamName);
        Assert.Contains("variance row 1, column 1 is -1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => GaussianNegativeLogLikelihood.Evaluate<double>(x, t, [1.0, double.NaN], 2, null, default, default, default));
        Assert.Contains("variance[1] (row 1) is NaN", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => GaussianNegativeLogLikelihood.Evaluate<double>(x, t, [1.0, 1, 1], 2, null, default, default, default));
        Assert.Equal("variance", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => GaussianNegativeLogLikelihood.Evaluate<double>(x, t, [1.0, 1], 2, null, default, new double[4], default));
        Assert.Equal("varianceGradient", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => GaussianNegativeLogLikelihood.Evaluate<double>(x, t, [1.0, 1], 2, null, default, default, new double[3]));
        Assert.Equal("losses", e.ParamName);
        Assert.Equal("SharedVariance", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianNegativeLogLikelihood.Evaluate<double>(x, t, 2,
            new GaussianNegativeLogLikelihoodOptions { SharedVariance = -1 }, default, default)).ParamName);
        Assert.Equal("MinimumVariance", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianNegativeLogLikelihood.Evaluate<double>(x, t, 2,
            new GaussianNegativeLogLikelihoodOptions { MinimumVariance = 0 }, default, default)).ParamName);
    }
}
