using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class ZLossTests
{
    [Theory]
    [InlineData(1e-4, Reduction.Mean)]
    [InlineData(0.3, Reduction.Sum)]
    public void Gradient_MatchesFiniteDifferences(double coef, Reduction reduction)
    {
        double[] z = Reference.RandomLogits(41, 12, 5.0);
        var o = new ZLossOptions { Coefficient = coef, Reduction = reduction };
        var g = new double[12];
        ZLoss.Evaluate<double>(z, 4, o, g, default);
        var check = GradientChecker.Check(x => ZLoss.Evaluate<double>(x, 4, o, default, default).Value, z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-12), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Loss_MatchesTorchLogSumExpSquared()
    {
        // torch 1.13 float64: (1e-3 * torch.logsumexp(z, 1) ** 2).mean() for z = [[1, 2, 0.5], [0.3, -1.2, 2.2]].
        double[] z = [1.0, 2.0, 0.5, 0.3, -1.2, 2.2];
        Assert.Equal(0.005840279318589693, ZLoss.Evaluate<double>(z, 3, new ZLossOptions { Coefficient = 1e-3 }, default, default).Value, 14);
    }

    [Fact]
    public void AddTo_AddsIntoExistingGradient_WhileEvaluateOverwrites()
    {
        double[] z = Reference.RandomLogits(42, 6);
        var own = new double[6];
        ZLoss.Evaluate<double>(z, 3, null, own, default);
        var sum = new double[6];
        Array.Fill(sum, 1.0);
        ZLoss.AddTo<double>(z, 3, null, sum, default);
        var overwritten = new double[6];
        Array.Fill(overwritten, 7.0);
        ZLoss.Evaluate<double>(z, 3, null, overwritten, default);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(1.0 + own[i], sum[i], 15);
            Assert.Equal(own[i], overwritten[i]);
        }
    }

    [Fact]
    public void NegativeCoefficient_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ZLoss.Evaluate<double>(new double[3], 3, new ZLossOptions { Coefficient = -1 }, default, default));
}
