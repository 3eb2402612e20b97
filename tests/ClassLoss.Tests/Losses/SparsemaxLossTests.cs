using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class SparsemaxLossTests
{
    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.BatchMean)]
    public void Gradient_MatchesFiniteDifferences(Reduction reduction)
    {
        const int n = 6, k = 5;
        double[] z = Reference.RandomLogits(61, n * k, 1.0);
        int[] y = [0, 4, -100, 2, 1, 3];
        var o = new SparsemaxLossOptions { Reduction = reduction };
        var g = new double[n * k];
        SparsemaxLoss.Evaluate<double>(z, y, k, o, g, default);
        var check = GradientChecker.Check(x => SparsemaxLoss.Evaluate<double>(x, y, k, o, default, default).Value, z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Theory]
    [InlineData(new[] { 1.0, 0.5, -1.0, 0.8 }, 1, 0.6633333333333336, new[] { 0.5666666666666667, 0.06666666666666671, 0.0, 0.36666666666666675 })]
    [InlineData(new[] { 3.0, 0.0, -1.0 }, 0, 0.0, new[] { 1.0, 0.0, 0.0 })]
    [InlineData(new[] { 0.1, 0.2, 0.15 }, 2, 0.3358333333333333, new[] { 0.2833333333333333, 0.38333333333333336, 0.33333333333333337 })]
    public void LossAndGradient_MatchSortBasedReference(double[] z, int y, double loss, double[] sparsemax)
    {
        // Expected values: numpy float64 with the paper's sort-and-cumsum threshold (Martins and Astudillo 2016, Alg. 1).
        var g = new double[z.Length];
        var r = SparsemaxLoss.Evaluate<double>(z, [y], z.Length, null, g, default);
        Assert.Equal(loss, r.Value, 12);
        for (int c = 0; c < z.Length; c++)
        {
            Assert.Equal(sparsemax[c] - (c == y ? 1 : 0), g[c], 12);
        }
    }

    [Fact]
    public void Loss_IsNonNegativeAndShiftInvariant()
    {
        double[] z = Reference.RandomLogits(62, 40, 4.0);
        int[] y = Reference.RandomLabels(63, 8, 5);
        double[] shifted = Array.ConvertAll(z, v => v + 1e6);
        var rows = new double[8];
        double a = SparsemaxLoss.Evaluate<double>(z, y, 5, new SparsemaxLossOptions { Reduction = Reduction.None }, default, rows).Value;
        double b = SparsemaxLoss.Evaluate<double>(shifted, y, 5, new SparsemaxLossOptions { Reduction = Reduction.None }, default, default).Value;
        Assert.All(rows, v => Assert.True(v >= 0));
        Assert.Equal(a, b, 6);
    }

    [Fact]
    public void BadInputs_Throw()
    {
        Assert.Throws<ArgumentException>(() => SparsemaxLoss.Evaluate<double>([1.0, double.NaN], [0], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SparsemaxLoss.Evaluate<double>([1.0, 2.0], [2], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SparsemaxLoss.Evaluate<double>([1.0, 2.0, 3.0], [0], 2, null, default, default));
    }
}
