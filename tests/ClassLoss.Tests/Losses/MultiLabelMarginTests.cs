using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class MultiLabelMarginTests
{
    /// <summary>Random multi-hot rows and the same targets in torch's layout (indices, then -1 padding).</summary>
    private static (double[] MultiHot, int[] Indices) RandomTargets(int seed, int n, int k)
    {
        var rng = new Random(seed);
        var multiHot = new double[n * k];
        var indices = new int[n * k];
        Array.Fill(indices, -1);
        for (int i = 0; i < n; i++)
        {
            int listed = 0;
            for (int c = 0; c < k; c++)
            {
                if (rng.NextDouble() < 0.4)
                {
                    multiHot[(i * k) + c] = 1;
                    indices[(i * k) + listed++] = c;
                }
            }
        }

        return (multiHot, indices);
    }

    [Theory]
    [InlineData(Reduction.Mean, 1.0)]
    [InlineData(Reduction.Sum, 2.0)]
    [InlineData(Reduction.None, 0.3)]
    [InlineData(Reduction.Mean, 1e4)]
    public void Gradient_MatchesFiniteDifferences_ForBothTargetLayouts(Reduction reduction, double scale)
    {
        const int n = 6, k = 7;
        double[] x = Reference.RandomLogits(321, n * k, scale);
        var (multiHot, indices) = RandomTargets(322, n, k);
        var o = new MultiLabelMarginOptions { Reduction = reduction };
        var g = new double[n * k];
        var gHot = new double[n * k];
        var r = MultiLabelMargin.Evaluate<double>(x, indices, k, o, g, default);
        var rHot = MultiLabelMargin.Evaluate<double>(x, multiHot, k, o, gHot, default);
        Assert.Equal(r.Value, rHot.Value, 14);
        Assert.Equal(g, gHot);
        var check = GradientChecker.Check(v => MultiLabelMargin.Evaluate<double>(v, indices, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void PyTorchDocsExample_Gives0_85()
    {
        // PyTorch MultiLabelMarginLoss docs: x = [[0.1, 0.2, 0.4, 0.8]], y = [[3, 0, -1, 1]] -> 0.85
        // (targets 3 and 0; the 1 after the -1 is ignored).
        var r = MultiLabelMargin.Evaluate<float>([0.1f, 0.2f, 0.4f, 0.8f], [3, 0, -1, 1], 4, null, default, default);
        Assert.Equal(0.85, r.Value, 6);
        var hot = MultiLabelMargin.Evaluate<double>([0.1, 0.2, 0.4, 0.8], [1.0, 0, 0, 1], 4, null, default, default);
        Assert.Equal(0.85, hot.Value, 14);
    }

    [Fact]
    public void AClassListedTwice_CountsTwice_AsTorch()
    {
        // torch 1.13 float64: multilabel_margin_loss([[0.1, 0.2, 0.4, 0.8]], [[3, 0, 3, -1]]) -> 1.1 (0.85 with 3 once).
        var r = MultiLabelMargin.Evaluate<double>([0.1, 0.2, 0.4, 0.8], [3, 0, 3, -1], 4, null, default, default);
        Assert.Equal(1.1, r.Value, 14);
    }

    [Fact]
    public void RowsWithoutTargets_AndAllTargets_HaveZeroLossAndGradient()
    {
        var g = new double[6];
        var r = MultiLabelMargin.Evaluate<double>([0.1, 5.0, -2.0, 0.1, 5.0, -2.0], [-1, 2, 0, 0, 1, 2], 3, null, g, default);
        Assert.Equal(0.0, r.Value);
        Assert.All(g, v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void HingesExactlyAtZero_AreInactive_AndMaskedClassesAreNeverViolations()
    {
        // x_target - x_other = 1 exactly: z = 0, inactive (torch's z > 0); the masked class costs nothing.
        var g = new double[3];
        var r = MultiLabelMargin.Evaluate<double>([2.0, 1.0, double.NegativeInfinity], [0, -1, -1], 3, null, g, default);
        Assert.Equal(0.0, r.Value);
        Assert.Equal([0.0, 0.0, 0.0], g);
    }

    [Fact]
    public void ANaNScore_GivesANaNRow_WhereTorchDropsIt()
    {
        var g = new double[8];
        var rows = new double[2];
        MultiLabelMargin.Evaluate<double>([0.1, double.NaN, 0.4, 0.8, 0.1, 0.2, 0.4, 0.8], [3, 0, -1, -1, 3, 0, -1, -1], 4,
            new MultiLabelMarginOptions { Reduction = Reduction.None }, g, rows);
        Assert.True(double.IsNaN(rows[0]));
        Assert.Equal(0.85, rows[1], 14);
        Assert.All(g.AsSpan(0, 4).ToArray(), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void BadTargets_ThrowArgumentExceptionsNamingRowAndColumn()
    {
        double[] x = new double[8];
        var e = Assert.Throws<ArgumentException>(() => MultiLabelMargin.Evaluate<double>(x, [0, -1, 9, 0, 1, -2, 0, 0], 4, null, default, default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets row 0, column 2 is 9", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => MultiLabelMargin.Evaluate<double>(x, [0, -1, 0, 0, 1, -2, 0, 0], 4, null, default, default));
        Assert.Contains("targets row 1, column 1 is -2", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => MultiLabelMargin.Evaluate<double>(x, [0, 1, 0, 0, 1, 0.5, 0, 0], 4, null, default, default));
        Assert.Contains("targets row 1, column 1 is 0.5", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => MultiLabelMargin.Evaluate<double>(x, [0, -1, 0, 0], 4, null, default, default));
        Assert.Equal("targets", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => MultiLabelMargin.Evaluate<double>(x, new int[8], 4, null, default, new double[8]));
        Assert.Equal("losses", e.ParamName);
    }
}
