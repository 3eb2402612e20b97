using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class MultiLabelSoftMarginTests
{
    [Theory]
    [InlineData(Reduction.Mean, false, 1.0)]
    [InlineData(Reduction.Sum, true, 5.0)]
    [InlineData(Reduction.None, true, 0.5)]
    [InlineData(Reduction.Mean, true, 1e4)]
    public void Gradient_MatchesFiniteDifferences(Reduction reduction, bool weighted, double scale)
    {
        const int n = 5, k = 4;
        double[] x = Reference.RandomLogits(331, n * k, scale);
        double[] t = Reference.RandomLogits(332, n * k, 1.0);
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = i % 3 == 0 ? (t[i] + 1) / 2 : t[i] > 0 ? 1 : 0; // soft and hard targets
        }

        var o = new MultiLabelSoftMarginOptions { Reduction = reduction, ClassWeights = weighted ? [2, 0.5, 1, 3] : null };
        var g = new double[n * k];
        MultiLabelSoftMargin.Evaluate<double>(x, t, k, o, g, default);
        var check = GradientChecker.Check(v => MultiLabelSoftMargin.Evaluate<double>(v, t, k, o, default, default).Value, x, g);
        // At logits of 1e4 the loss is ~1e3 while a small logit's step is 1e-6: the difference quotient carries ~1e-7 of rounding.
        Assert.True(check.Passes(g, 1e-6, scale > 100 ? 1e-6 : 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void MatchesTorch_OnASmallExample()
    {
        // torch 1.13 float64: F.multilabel_soft_margin_loss([[0.1, 0.2, 0.4, 0.8]], [[1, 0, 0, 1]]) -> 0.6816628619507232;
        // with weight=[1, 2, 0.5, 3] -> 0.952621005720016.
        double[] x = [0.1, 0.2, 0.4, 0.8];
        double[] t = [1, 0, 0, 1];
        Assert.Equal(0.6816628619507232, MultiLabelSoftMargin.Evaluate<double>(x, t, 4, null, default, default).Value, 14);
        Assert.Equal(0.952621005720016, MultiLabelSoftMargin.Evaluate<double>(x, t, 4,
            new MultiLabelSoftMarginOptions { ClassWeights = [1, 2, 0.5, 3] }, default, default).Value, 14);
    }

    [Fact]
    public void Mean_EqualsClassWeightedSigmoidBinaryCrossEntropyMeanOverElements()
    {
        const int n = 6, k = 5;
        double[] x = Reference.RandomLogits(333, n * k, 4.0);
        double[] t = Array.ConvertAll(Reference.RandomLogits(334, n * k, 1.0), v => v > 0 ? 1.0 : 0.0);
        double[] w = [1, 2, 0.5, 0, 3];
        var g1 = new double[n * k];
        var g2 = new double[n * k];
        var soft = MultiLabelSoftMargin.Evaluate<double>(x, t, k, new MultiLabelSoftMarginOptions { ClassWeights = w }, g1, default);
        var bce = SigmoidBinaryCrossEntropy.Evaluate<double>(x, t, k, new SigmoidBinaryCrossEntropyOptions { ClassWeights = w }, g2, default);
        Assert.Equal(bce.Value, soft.Value, 13);
        for (int i = 0; i < g1.Length; i++)
        {
            Assert.Equal(g2[i], g1[i], 15);
        }
    }

    [Fact]
    public void SaturatedLogits_CostTheirMarginExactly_AndTheLossBufferTakesRowsOrElements()
    {
        // Logits ±1e4: softplus(1e4) = 1e4 exactly; against the matching target the term is 0.
        var elements = new double[4];
        var r = MultiLabelSoftMargin.Evaluate<double>([1e4, -1e4, 1e4, -1e4], [1.0, 0, 0, 1], 4,
            new MultiLabelSoftMarginOptions { Reduction = Reduction.None }, default, elements);
        Assert.Equal([0.0, 0.0, 2500.0, 2500.0], elements);
        Assert.Equal(5000.0, r.Value);
        var rows = new double[1];
        MultiLabelSoftMargin.Evaluate<double>([1e4, -1e4, 1e4, -1e4], [1.0, 0, 0, 1], 4, new MultiLabelSoftMarginOptions { Reduction = Reduction.None }, default, rows);
        Assert.Equal(5000.0, rows[0]);
    }

    [Fact]
    public void BadInputs_ThrowArgumentExceptionsNamingTheArgument()
    {
        double[] x = new double[4];
        var e = Assert.Throws<ArgumentException>(() => MultiLabelSoftMargin.Evaluate<double>(x, [0, 1, 1.5, 0], 2, null, default, default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets row 1, column 0", e.Message, StringComparison.Ordinal);
        var w = Assert.Throws<ArgumentException>(() => MultiLabelSoftMargin.Evaluate<double>(x, [0.0, 1, 1, 0], 2,
            new MultiLabelSoftMarginOptions { ClassWeights = [1, -1] }, default, default));
        Assert.Equal("ClassWeights", w.ParamName);
        e = Assert.Throws<ArgumentException>(() => MultiLabelSoftMargin.Evaluate<double>(x, [0.0, 1, 1, 0], 2, null, default, new double[3]));
        Assert.Equal("losses", e.ParamName);
    }
}
