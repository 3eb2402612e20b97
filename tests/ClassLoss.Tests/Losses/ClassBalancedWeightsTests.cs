using ClassLoss.Losses;

namespace ClassLoss.Tests.Losses;

public class ClassBalancedWeightsTests
{
    [Fact]
    public void Weights_MatchCuiEtAlFormula()
    {
        // numpy float64 of Cui et al.'s code: w = (1 - b) / (1 - b ** n); w = w / w.sum() * K.
        double[] w = ClassBalancedWeights.Compute([10L, 100L, 1000L], 0.9);
        double[] expected = [1.3028408242873102, 0.8485908577364772, 0.8485683179762125];
        double[] w4 = ClassBalancedWeights.Compute([10, 100, 1000], 0.9999);
        double[] expected4 = [2.700382496811317, 0.2712551020439409, 0.028362401144742207];
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(expected[c], w[c], 12);
            Assert.Equal(expected4[c], w4[c], 10);
        }
    }

    [Fact]
    public void BetaZero_GivesOnes_AndBetaOne_GivesNormalisedInverseFrequency()
    {
        Assert.All(ClassBalancedWeights.Compute([3, 50, 7], 0.0), v => Assert.Equal(1.0, v, 15));
        double[] w = ClassBalancedWeights.Compute([1, 2, 4], 1.0);
        double s = 1 + 0.5 + 0.25;
        Assert.Equal(3 / s, w[0], 14);
        Assert.Equal(1.5 / s, w[1], 14);
        Assert.Equal(0.75 / s, w[2], 14);
        Assert.Equal(4.0, ClassBalancedWeights.Compute([5, 9, 1000, 2], 0.999).Sum(), 12);
    }

    [Fact]
    public void BetaNearOne_ApproachesInverseFrequencyWithoutCancellation()
    {
        double[] w = ClassBalancedWeights.Compute([1, 2], 1 - 1e-12);
        Assert.Equal(4.0 / 3, w[0], 9);
        Assert.Equal(2.0 / 3, w[1], 9);
    }

    [Fact]
    public void BadInputs_Throw()
    {
        Assert.Throws<ArgumentException>(() => ClassBalancedWeights.Compute([1, 0, 3], 0.9));
        Assert.Throws<ArgumentException>(() => ClassBalancedWeights.Compute(ReadOnlySpan<int>.Empty, 0.9));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassBalancedWeights.Compute([1, 2], 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassBalancedWeights.Compute([1, 2], double.NaN));
    }
}
