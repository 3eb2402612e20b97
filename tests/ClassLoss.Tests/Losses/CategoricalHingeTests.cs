using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class CategoricalHingeTests
{
    private static double[] OneHot(int[] y, int k)
    {
        var t = new double[y.Length * k];
        for (int i = 0; i < y.Length; i++)
        {
            t[(i * k) + y[i]] = 1;
        }

        return t;
    }

    [Theory]
    [InlineData(Reduction.Mean, 1.0)]
    [InlineData(Reduction.Sum, 1.0)]
    [InlineData(Reduction.None, 3.0)]
    [InlineData(Reduction.BatchMean, 1e4)]
    public void Gradient_WithClassIndices_MatchesFiniteDifferences(Reduction reduction, double scale)
    {
        const int n = 6, k = 5;
        double[] x = Reference.RandomLogits(301, n * k, scale);
        int[] y = [0, 4, -100, 2, 1, 3];
        var o = new CategoricalHingeOptions { Reduction = reduction };
        var g = new double[n * k];
        CategoricalHinge.Evaluate<double>(x, y, k, o, g, default);
        var check = GradientChecker.Check(v => CategoricalHinge.Evaluate<double>(v, y, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    public void Gradient_WithSoftAndMultiHotTargets_MatchesFiniteDifferences(Reduction reduction)
    {
        const int n = 5, k = 4;
        double[] x = Reference.RandomLogits(302, n * k, 2.0);
        double[] t = Reference.RandomProbabilities(303, n, k);
        t[0] = 1; t[1] = 1; t[2] = 0; t[3] = 0; // a multi-hot row
        var o = new CategoricalHingeOptions { Reduction = reduction };
        var g = new double[n * k];
        CategoricalHinge.Evaluate<double>(x, t, k, o, g, default);
        var check = GradientChecker.Check(v => CategoricalHinge.Evaluate<double>(v, t, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void KerasExample_Gives1_4Mean_2_8Sum_AndRowLosses1_2And1_6()
    {
        // keras/src/losses/losses_test.py, CategoricalHingeTest.test_unweighted (and the class docstring):
        // y_true = [[0, 1], [0, 0]], y_pred = [[0.6, 0.4], [0.4, 0.6]] -> 1.4 (sum_over_batch_size), 2.8 (sum), [1.2, 1.6] (none).
        double[] yTrue = [0, 1, 0, 0];
        double[] yPred = [0.6, 0.4, 0.4, 0.6];
        Assert.Equal(1.4, CategoricalHinge.Evaluate<double>(yPred, yTrue, 2, null, default, default).Value, 12);
        Assert.Equal(2.8, CategoricalHinge.Evaluate<double>(yPred, yTrue, 2, new CategoricalHingeOptions { Reduction = Reduction.Sum }, default, default).Value, 12);
        var rows = new double[2];
        CategoricalHinge.Evaluate<double>(yPred, yTrue, 2, new CategoricalHingeOptions { Reduction = Reduction.None }, default, rows);
        Assert.Equal(1.2, rows[0], 12);
        Assert.Equal(1.6, rows[1], 12);
    }

    [Fact]
    public void TensorFlowDocsExample_Gives1()
    {
        // TF 1.14 docs of tf.keras.losses.CategoricalHinge: ch([0., 1., 1.], [1., 0., 1.]) -> 1.0.
        var r = CategoricalHinge.Evaluate<float>([1f, 0f, 1f], [0f, 1f, 1f], 3, null, default, default);
        Assert.Equal(1.0, r.Value, 6);
    }

    [Fact]
    public void ClassIndices_GiveTheSameLossAndGradientAsOneHotRows()
    {
        const int n = 8, k = 6;
        double[] x = Reference.RandomLogits(304, n * k, 2.0);
        int[] y = Reference.RandomLabels(305, n, k);
        var g1 = new double[n * k];
        var g2 = new double[n * k];
        var r1 = CategoricalHinge.Evaluate<double>(x, y, k, null, g1, default);
        var r2 = CategoricalHinge.Evaluate<double>(x, OneHot(y, k), k, null, g2, default);
        Assert.Equal(r2.Value, r1.Value, 14);
        Assert.Equal(g2, g1);
    }

    [Fact]
    public void TiedWrongScores_ShareTheGradient_AsCentralDifferencesSee()
    {
        // Row [0.5, 2, 2] with label 0: the two wrong scores tie at the maximum; each gets half of its gradient.
        double[] x = [0.5, 2.0, 2.0];
        var g = new double[3];
        var r = CategoricalHinge.Evaluate<double>(x, [0], 3, new CategoricalHingeOptions { Reduction = Reduction.Sum }, g, default);
        Assert.Equal(2.5, r.Value, 14);
        Assert.Equal([-1.0, 0.5, 0.5], g);
        var check = GradientChecker.Check(v => CategoricalHinge.Evaluate<double>(v, [0], 3, new CategoricalHingeOptions { Reduction = Reduction.Sum }, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void MaskedClasses_AreNeverTheMaximum_AndGetZeroGradient()
    {
        double[] x = [1.0, double.NegativeInfinity, 0.7, double.NegativeInfinity];
        var g = new double[4];
        var r = CategoricalHinge.Evaluate<double>(x, [0], 4, null, g, default);
        Assert.Equal(0.7, r.Value, 14); // max(0, 0.7 - 1 + 1)
        Assert.Equal([-1.0, 0.0, 1.0, 0.0], g);
        var soft = CategoricalHinge.Evaluate<double>(x, [0.5, 0, 0.5, 0], 4, null, g, default);
        Assert.Equal(Math.Max(0, (0.5 * 1.0) - 0.85 + 1), soft.Value, 14);
        Assert.True(double.IsPositiveInfinity(CategoricalHinge.Evaluate<double>(x, [1], 4, null, default, default).Value));
    }

    [Fact]
    public void LargeMarginRows_GiveZeroLossAndGradient_AtScores1e4()
    {
        double[] x = [1e4, -1e4, 0, -1e4, 1e4, 0];
        var g = new double[6];
        var r = CategoricalHinge.Evaluate<double>(x, [0, 1], 3, null, g, default);
        Assert.Equal(0.0, r.Value);
        Assert.All(g, v => Assert.Equal(0.0, v));
        var wrong = CategoricalHinge.Evaluate<float>([1e4f, -1e4f, 0f], [1], 3, null, default, default);
        Assert.Equal(2e4 + 1, wrong.Value, 3);
    }

    [Fact]
    public void BadInputs_ThrowArgumentExceptionsNamingTheArgumentRowAndColumn()
    {
        var e = Assert.Throws<ArgumentException>(() => CategoricalHinge.Evaluate<double>([1.0, 2.0, 3.0, 4.0], [0, 2], 2, null, default, default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets[1] is 2", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => CategoricalHinge.Evaluate<double>([1.0, 2.0, 3.0, 4.0], [0, 1, 1.5, 0], 2, null, default, default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets row 1, column 0", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => CategoricalHinge.Evaluate<double>([1.0, 2.0, 3.0, 4.0], [0.0, 1, -1, 1], 2, null, default, default));
        Assert.Contains("targets row 1, column 0", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => CategoricalHinge.Evaluate<double>([1.0, 2.0, 3.0, 4.0], [0, 1], 2, null, default, new double[3]));
        Assert.Equal("losses", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => CategoricalHinge.Evaluate<double>([1.0, 2.0, 3.0], [0, 1], 2, null, default, default));
        Assert.Equal("input", e.ParamName);
    }
}
