using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class CrammerSingerHingeTests
{
    [Theory]
    [InlineData(Reduction.Mean, 1.0)]
    [InlineData(Reduction.Sum, 3.0)]
    [InlineData(Reduction.None, 0.3)]
    [InlineData(Reduction.BatchMean, 1e4)]
    public void Gradient_MatchesFiniteDifferences(Reduction reduction, double scale)
    {
        const int n = 7, k = 5;
        double[] x = Reference.RandomLogits(311, n * k, scale);
        int[] y = [0, 4, -100, 2, 1, 3, 3];
        var o = new CrammerSingerHingeOptions { Reduction = reduction };
        var g = new double[n * k];
        CrammerSingerHinge.Evaluate<double>(x, y, k, o, g, default);
        var check = GradientChecker.Check(v => CrammerSingerHinge.Evaluate<double>(v, y, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void OptaxTests_Give8And0()
    {
        // optax/losses/_classification_test.py, HingeTest.test_multi_class and test_batched_multi_class:
        // label 1, scores [10, 3] -> max(10 + 1, 3) - 3 = 8; labels [1, 0], scores [[10, 3], [11, -2]] -> [8, 0].
        var one = new float[1];
        CrammerSingerHinge.Evaluate<float>([10f, 3f], [1], 2, new CrammerSingerHingeOptions { Reduction = Reduction.None }, default, one);
        Assert.Equal(8f, one[0]);
        var rows = new double[2];
        var r = CrammerSingerHinge.Evaluate<double>([10.0, 3.0, 11.0, -2.0], [1, 0], 2, new CrammerSingerHingeOptions { Reduction = Reduction.None }, default, rows);
        Assert.Equal([8.0, 0.0], rows);
        Assert.Equal(8.0, r.Value);
    }

    [Fact]
    public void Loss_IsTheLargestViolation_NotTheSumOfViolations()
    {
        // Scores [0, 0.5, 0.2] with label 0: violations 1.5 and 1.2; Crammer–Singer takes 1.5, Weston–Watkins sums them.
        double[] x = [0.0, 0.5, 0.2];
        var g = new double[3];
        var r = CrammerSingerHinge.Evaluate<double>(x, [0], 3, null, g, default);
        Assert.Equal(1.5, r.Value, 14);
        Assert.Equal([-1.0, 1.0, 0.0], g);
        Assert.Equal((1.5 + 1.2) / 3, MultiMarginHinge.Evaluate<double>(x, [0], 3, null, default, default).Value, 14);
    }

    [Fact]
    public void TiesAtTheMaximum_ShareTheGradient_AsCentralDifferencesSee()
    {
        // x_y = x_1 + 1 exactly: the target and class 1 tie; half the maximum's gradient each.
        double[] x = [2.0, 1.0, -3.0];
        var o = new CrammerSingerHingeOptions { Reduction = Reduction.Sum };
        var g = new double[3];
        var r = CrammerSingerHinge.Evaluate<double>(x, [0], 3, o, g, default);
        Assert.Equal(0.0, r.Value);
        Assert.Equal([-0.5, 0.5, 0.0], g);
        var check = GradientChecker.Check(v => CrammerSingerHinge.Evaluate<double>(v, [0], 3, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void SatisfiedMargins_GiveZeroLossAndGradient_AtScores1e4()
    {
        double[] x = [1e4, -1e4, 0, -1e4, 1e4, -1e4];
        var g = new double[6];
        var r = CrammerSingerHinge.Evaluate<double>(x, [0, 1], 3, null, g, default);
        Assert.Equal(0.0, r.Value);
        Assert.All(g, v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void MaskedClasses_AreNeverTheMaximum()
    {
        double[] x = [0.5, double.NegativeInfinity, 0.2, double.NegativeInfinity];
        var g = new double[4];
        var r = CrammerSingerHinge.Evaluate<double>(x, [0], 4, null, g, default);
        Assert.Equal(0.7, r.Value, 14);
        Assert.Equal([-1.0, 0.0, 1.0, 0.0], g);
        Assert.True(double.IsPositiveInfinity(CrammerSingerHinge.Evaluate<double>(x, [1], 4, null, default, default).Value));
    }

    [Fact]
    public void BadInputs_ThrowArgumentExceptionsNamingTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => CrammerSingerHinge.Evaluate<double>([1.0, 2.0, 3.0, 4.0], [0, 2], 2, null, default, default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets[1] is 2", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => CrammerSingerHinge.Evaluate<double>([1.0, 2.0, 3.0, 4.0], [0, 1], 2, null, default, new double[1]));
        Assert.Equal("losses", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => CrammerSingerHinge.Evaluate<double>([1.0, 2.0, 3.0, 4.0], [0, 1], 2, null, new double[3], default));
        Assert.Equal("gradient", e.ParamName);
    }
}
