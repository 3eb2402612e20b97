using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class BinarySparsemaxLossTests
{
    private static double SparsePlus(double u) => u <= -1 ? 0 : u >= 1 ? u : (u + 1) * (u + 1) / 4;

    /// <summary>Logits away from the kinks at ±1 (where the second derivative jumps), so central differences are exact to O(h²).</summary>
    private static double[] AwayFromKinks(double[] x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            if (Math.Abs(Math.Abs(x[i]) - 1) < 1e-3)
            {
                x[i] += 0.01;
            }
        }

        return x;
    }

    [Theory]
    [InlineData(Reduction.Mean, 3.0, false)]
    [InlineData(Reduction.Sum, 1.5, true)]
    [InlineData(Reduction.None, 0.9, true)]
    [InlineData(Reduction.BatchMean, 1e4, false)]
    public void Gradient_MatchesFiniteDifferences(Reduction reduction, double scale, bool soft)
    {
        const int n = 6, k = 5;
        double[] x = AwayFromKinks(Reference.RandomLogits(501, n * k, scale));
        double[] t = Array.ConvertAll(Reference.RandomLogits(502, n * k, 1.0), v => soft ? (v + 1) / 2 : v > 0 ? 1.0 : 0.0);
        var o = new BinarySparsemaxLossOptions { Reduction = reduction };
        var g = new double[n * k];
        BinarySparsemaxLoss.Evaluate<double>(x, t, k, o, g, default);
        var check = GradientChecker.Check(v => BinarySparsemaxLoss.Evaluate<double>(v, t, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void OptaxTests_Give0And20()
    {
        // optax/losses/_classification_test.py, SparsemaxTest.test_binary and test_batched_binary: label 1, score 10 -> 0;
        // labels [1, 0], scores [10, 20] -> [0, 20] (reference_impl: sparse_plus(-(2 label - 1) logit)).
        var one = new double[1];
        BinarySparsemaxLoss.Evaluate<double>([10.0], [1.0], 1, new BinarySparsemaxLossOptions { Reduction = Reduction.None }, default, one);
        Assert.Equal(0.0, one[0]);
        var two = new float[2];
        BinarySparsemaxLoss.Evaluate<float>([10f, 20f], [1f, 0f], 2, new BinarySparsemaxLossOptions { Reduction = Reduction.None }, default, two);
        Assert.Equal([0f, 20f], two);
    }

    [Fact]
    public void HardTargets_MatchOptaxsReferenceImplementation_OnEveryPiece()
    {
        double[] x = [-5, -1, -0.999, -0.3, 0, 0.3, 0.999, 1, 5, 1e4, -1e4];
        foreach (double label in new[] { 0.0, 1.0 })
        {
            var losses = new double[x.Length];
            var g = new double[x.Length];
            BinarySparsemaxLoss.Evaluate<double>(x, Enumerable.Repeat(label, x.Length).ToArray(), x.Length,
                new BinarySparsemaxLossOptions { Reduction = Reduction.None }, g, losses);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.Equal(SparsePlus(-((2 * label) - 1) * x[i]), losses[i], 14);
                Assert.Equal(Math.Clamp((x[i] + 1) / 2, 0, 1) - label, g[i], 15);
            }
        }
    }

    [Fact]
    public void SoftTargets_GiveTheFenchelYoungLoss_WhichIsZeroExactlyWhereSparseSigmoidMatches()
    {
        // Ω(p) = p² - p: ℓ = sparse_plus(x) - x y + y² - y ≥ 0, zero iff clip((x + 1)/2, 0, 1) = y.
        double[] x = [-3, -0.6, 0.4, 0.9, 2.5, 0.4];
        double[] y = [0.2, 0.5, 0.7, 0.1, 0.6, 0.7];
        var losses = new double[x.Length];
        BinarySparsemaxLoss.Evaluate<double>(x, y, x.Length, new BinarySparsemaxLossOptions { Reduction = Reduction.None }, default, losses);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(SparsePlus(x[i]) - (x[i] * y[i]) + (y[i] * y[i]) - y[i], losses[i], 14);
            Assert.True(losses[i] >= 0);
        }

        Assert.Equal(0.0, losses[2], 15); // sparse_sigmoid(0.4) = 0.7
    }

    [Fact]
    public void InfiniteLogits_CostZeroAgainstTheMatchingTarget_AndInfinityOtherwise()
    {
        var losses = new double[4];
        var g = new double[4];
        BinarySparsemaxLoss.Evaluate<double>([double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity, double.NegativeInfinity],
            [1.0, 0, 0, 1], 4, new BinarySparsemaxLossOptions { Reduction = Reduction.None }, g, losses);
        Assert.Equal([0.0, 0.0, double.PositiveInfinity, double.PositiveInfinity], losses);
        Assert.Equal([0.0, 0.0, 1.0, -1.0], g);
    }

    [Fact]
    public void MeanDividesByElements_AndTheLossBufferTakesRowsOrElements()
    {
        double[] x = [0.5, -2, 3, 0.1];
        double[] t = [1.0, 0, 0, 1];
        var elements = new double[4];
        var rows = new double[2];
        var sum = BinarySparsemaxLoss.Evaluate<double>(x, t, 2, new BinarySparsemaxLossOptions { Reduction = Reduction.Sum }, default, elements);
        BinarySparsemaxLoss.Evaluate<double>(x, t, 2, new BinarySparsemaxLossOptions { Reduction = Reduction.Sum }, default, rows);
        var mean = BinarySparsemaxLoss.Evaluate<double>(x, t, 2, null, default, default);
        Assert.Equal(sum.Value / 4, mean.Value, 15);
        Assert.Equal(elements[0] + elements[1], rows[0], 15);
        Assert.Equal([0.0625, 0, 3, 0.2025], elements.Select(v => Math.Round(v, 12)).ToArray());
    }

    [Fact]
    public void BadInputs_ThrowArgumentExceptionsNamingTheArgumentRowAndColumn()
    {
        var e = Assert.Throws<ArgumentException>(() => BinarySparsemaxLoss.Evaluate<double>([0.0, 1, 2, 3], [0, 1, 1, 2.0], 2, null, default, default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets row 1, column 1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => BinarySparsemaxLoss.Evaluate<double>([0.0, 1, 2, 3], [0, 1, 1, 0.0], 2, null, default, new double[3]));
        Assert.Equal("losses", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => BinarySparsemaxLoss.Evaluate<double>([0.0, 1, 2], [0, 1, 1.0], 2, null, default, default));
        Assert.Equal("input", e.ParamName);
    }
}
