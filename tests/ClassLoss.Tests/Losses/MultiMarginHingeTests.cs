using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class MultiMarginHingeTests
{
    [Theory]
    [InlineData(1, 1.0, false, Reduction.Mean)]
    [InlineData(2, 1.0, false, Reduction.Sum)]
    [InlineData(1, 0.5, true, Reduction.None)]
    [InlineData(2, 2.0, true, Reduction.Mean)]
    public void Gradient_MatchesFiniteDifferencesAwayFromKinks(int power, double margin, bool weighted, Reduction reduction)
    {
        const int n = 5, k = 4;
        double[] x = Reference.RandomLogits(51, n * k, 1.5);
        int[] y = Reference.RandomLabels(52, n, k);
        var o = new MultiMarginHingeOptions { Power = power, Margin = margin, ClassWeights = weighted ? [2, 1, 0.5, 3] : null, Reduction = reduction };
        var g = new double[n * k];
        MultiMarginHinge.Evaluate<double>(x, y, k, o, g, default);
        var check = GradientChecker.Check(v => MultiMarginHinge.Evaluate<double>(v, y, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void PyTorchDocsExample_Gives0_3250()
    {
        // PyTorch MultiMarginLoss docs: x = [[0.1, 0.2, 0.4, 0.8]], y = [3] -> 0.3250.
        var r = MultiMarginHinge.Evaluate<float>([0.1f, 0.2f, 0.4f, 0.8f], [3], 4, null, default, default);
        Assert.Equal(0.325, r.Value, 6);
    }

    [Fact]
    public void WeightedAndSquared_MatchTorch()
    {
        // torch 1.13 float64: MultiMarginLoss(weight=[2, 1, 1, 0.5]) -> 0.65625 (mean divides by N, not by weights);
        // MultiMarginLoss(p=2, margin=0.7, weight=[2, 1, 1, 0.5]) -> 0.34875.
        double[] x = [0.1, 0.2, 0.4, 0.8, 0.5, -0.3, 0.9, 0.2];
        int[] y = [3, 0];
        var w = new double[] { 2, 1, 1, 0.5 };
        Assert.Equal(0.65625, MultiMarginHinge.Evaluate<double>(x, y, 4, new MultiMarginHingeOptions { ClassWeights = w }, default, default).Value, 12);
        Assert.Equal(0.34875, MultiMarginHinge.Evaluate<double>(x, y, 4,
            new MultiMarginHingeOptions { Power = 2, Margin = 0.7, ClassWeights = w }, default, default).Value, 12);
    }

    [Fact]
    public void SatisfiedMargins_GiveZeroLossAndGradient()
    {
        var g = new double[3];
        var r = MultiMarginHinge.Evaluate<double>([5.0, 1.0, 0.0], [0], 3, null, g, default);
        Assert.Equal(0.0, r.Value);
        Assert.All(g, v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void BadInputs_Throw()
    {
        double[] x = new double[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => MultiMarginHinge.Evaluate<double>(x, [0, 1], 2, new MultiMarginHingeOptions { Power = 3 }, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultiMarginHinge.Evaluate<double>(x, [0, 1], 2, new MultiMarginHingeOptions { Margin = double.NaN }, default, default));
        Assert.Throws<ArgumentException>(() => MultiMarginHinge.Evaluate<double>(x, [0, 2], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => MultiMarginHinge.Evaluate<double>(x, [0, -100], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => MultiMarginHinge.Evaluate<double>(x, [0, 1], 2, new MultiMarginHingeOptions { ClassWeights = [1] }, default, default));
    }
}
