using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class PolyLossTests
{
    [Theory]
    [InlineData(1.0, Reduction.Mean)]
    [InlineData(-1.0, Reduction.Sum)]
    [InlineData(3.5, Reduction.None)]
    public void Gradient_WithIndexTargets_MatchesFiniteDifferences(double eps, Reduction reduction)
    {
        const int n = 4, k = 5;
        double[] z = Reference.RandomLogits(31, n * k);
        int[] y = [4, -100, 0, 2];
        var o = new SoftmaxPoly1Options { PolyCoefficient = eps, Reduction = reduction };
        var g = new double[n * k];
        SoftmaxPoly1.Evaluate<double>(z, y, k, o, g, default);
        var check = GradientChecker.Check(x => SoftmaxPoly1.Evaluate<double>(x, y, k, o, default, default).Value, z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    public void Gradient_WithProbabilityTargets_MatchesFiniteDifferences(double eps)
    {
        const int n = 3, k = 4;
        double[] z = Reference.RandomLogits(32, n * k);
        double[] t = Reference.RandomProbabilities(33, n, k);
        var o = new SoftmaxPoly1Options { PolyCoefficient = eps };
        var g = new double[n * k];
        SoftmaxPoly1.Evaluate<double>(z, t, k, o, g, default);
        var check = GradientChecker.Check(x => SoftmaxPoly1.Evaluate<double>(x, t, k, o, default, default).Value, z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Loss_MatchesHandComputedPoly1()
    {
        // numpy float64: mean over rows of -log p_y + eps (1 - p_y) for z = [[1, 2, 0.5], [0.3, -1.2, 2.2]], y = [0, 2].
        double[] z = [1.0, 2.0, 0.5, 0.3, -1.2, 2.2];
        Assert.Equal(1.2778996430837315, SoftmaxPoly1.Evaluate<double>(z, [0, 2], 3, null, default, default).Value, 12);
        Assert.Equal(1.739612663003503, SoftmaxPoly1.Evaluate<double>(z, [0, 2], 3, new SoftmaxPoly1Options { PolyCoefficient = 2 }, default, default).Value, 12);
        double[] onehot = [1, 0, 0, 0, 0, 1];
        Assert.Equal(1.2778996430837315, SoftmaxPoly1.Evaluate<double>(z, onehot, 3, null, default, default).Value, 12);
    }

    [Fact]
    public void EpsilonZero_EqualsCrossEntropy()
    {
        double[] z = Reference.RandomLogits(34, 12);
        double[] t = Reference.RandomProbabilities(35, 3, 4);
        var o = new SoftmaxPoly1Options { PolyCoefficient = 0 };
        Assert.Equal(SoftmaxCrossEntropy.Evaluate<double>(z, [1, 3, 0], 4, null, default, default).Value,
            SoftmaxPoly1.Evaluate<double>(z, [1, 3, 0], 4, o, default, default).Value, 12);
        Assert.Equal(SoftmaxCrossEntropy.Evaluate<double>(z, t, 4, null, default, default).Value,
            SoftmaxPoly1.Evaluate<double>(z, t, 4, o, default, default).Value, 12);
    }

    [Fact]
    public void BadInputs_Throw()
    {
        double[] z = new double[6];
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxPoly1.Evaluate<double>(z, [0, 1], 3, new SoftmaxPoly1Options { PolyCoefficient = -2 }, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxPoly1.Evaluate<double>(z, [0, 1], 3, new SoftmaxPoly1Options { PolyCoefficient = double.NaN }, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxPoly1.Evaluate<double>(z, [0, 5], 3, null, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxPoly1.Evaluate<double>(z, [0], 3, null, default, default));
    }
}
