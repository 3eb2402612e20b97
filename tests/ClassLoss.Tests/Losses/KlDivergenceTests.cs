using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class KlDivergenceTests
{
    private static double[] LogSoftmaxRows(double[] z, int k)
    {
        var r = new double[z.Length];
        for (int i = 0; i < z.Length / k; i++)
        {
            Reference.LogSoftmax(z.AsSpan(i * k, k)).CopyTo(r, i * k);
        }

        return r;
    }

    [Theory]
    [InlineData(false, Reduction.Mean)]
    [InlineData(false, Reduction.BatchMean)]
    [InlineData(true, Reduction.Sum)]
    [InlineData(true, Reduction.None)]
    public void Gradient_MatchesFiniteDifferences(bool logTarget, Reduction reduction)
    {
        const int n = 3, k = 4;
        double[] x = LogSoftmaxRows(Reference.RandomLogits(51, n * k), k);
        double[] t = Reference.RandomProbabilities(52, n, k);
        t[1] = 0;
        if (logTarget)
        {
            t = Array.ConvertAll(t, Math.Log);
        }

        var o = new KlDivergenceOptions { LogTarget = logTarget, Reduction = reduction };
        var g = new double[n * k];
        KlDivergence.Evaluate<double>(x, t, k, o, g, default);
        var check = GradientChecker.Check(v => KlDivergence.Evaluate<double>(v, t, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-7, 1e-10), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Reductions_MatchPyTorch()
    {
        // PyTorch 2.x: F.kl_div(log_softmax([[1,2,.5],[.1,-1,3]]), [[.2,.5,.3],[0,.6,.4]], reduction=r):
        // sum 1.8824783219946064, mean 0.31374638699910107, batchmean 0.9412391609973032.
        double[] x = LogSoftmaxRows([1.0, 2.0, 0.5, 0.1, -1.0, 3.0], 3);
        double[] t = [0.2, 0.5, 0.3, 0, 0.6, 0.4];
        Assert.Equal(1.8824783219946064, KlDivergence.Evaluate<double>(x, t, 3, new KlDivergenceOptions { Reduction = Reduction.Sum }, default, default).Value, 12);
        Assert.Equal(0.31374638699910107, KlDivergence.Evaluate<double>(x, t, 3, null, default, default).Value, 12);
        Assert.Equal(0.9412391609973032, KlDivergence.Evaluate<double>(x, t, 3, new KlDivergenceOptions { Reduction = Reduction.BatchMean }, default, default).Value, 12);
        // log_target=True with log(t) (where t = 0 becomes -inf) is the same KL; PyTorch itself returns NaN for that -inf.
        double[] logT = Array.ConvertAll(t, Math.Log);
        Assert.Equal(1.8824783219946064, KlDivergence.Evaluate<double>(x, logT, 3, new KlDivergenceOptions { LogTarget = true, Reduction = Reduction.Sum }, default, default).Value, 12);
    }

    [Fact]
    public void KerasDocstringExample_Is0Point458()
    {
        // keras.losses.KLDivergence docstring: y_true [[0,1],[0,0]], y_pred [[0.6,0.4],[0.4,0.6]] gives 0.458 = ln(2.5) / 2.
        // Keras clips both to [1e-7, 1] (so its zero targets add about -3e-6); here 0 log 0 = 0 exactly. Keras's default
        // reduction (sum over classes, mean over the batch) is BatchMean.
        double[] x = Array.ConvertAll(new[] { 0.6, 0.4, 0.4, 0.6 }, Math.Log);
        double[] t = [0, 1, 0, 0];
        var r = KlDivergence.Evaluate<double>(x, t, 2, new KlDivergenceOptions { Reduction = Reduction.BatchMean }, default, default);
        Assert.Equal(0.458, r.Value, 3);
        Assert.Equal(Math.Log(2.5) / 2, r.Value, 14);
    }

    [Fact]
    public void KlOfADistributionWithItself_IsZero_AndOtherwisePositive()
    {
        const int n = 5, k = 6;
        double[] p = Reference.RandomProbabilities(53, n, k);
        double[] q = Reference.RandomProbabilities(54, n, k);
        var rows = new double[n];
        KlDivergence.Evaluate<double>(Array.ConvertAll(p, Math.Log), p, k, new KlDivergenceOptions { Reduction = Reduction.None }, default, rows);
        Assert.All(rows, v => Assert.Equal(0.0, v, 14));
        KlDivergence.Evaluate<double>(Array.ConvertAll(q, Math.Log), p, k, new KlDivergenceOptions { Reduction = Reduction.None }, default, rows);
        Assert.All(rows, v => Assert.True(v > 0));
    }

    [Fact]
    public void ZeroTargetAtMinusInfinityInput_ContributesZero()
    {
        double[] x = [double.NegativeInfinity, 0.0];
        var g = new double[2];
        var elements = new double[2];
        var r = KlDivergence.Evaluate<double>(x, [0.0, 1.0], 2, new KlDivergenceOptions { Reduction = Reduction.Sum }, g, elements);
        Assert.Equal(0.0, r.Value);
        Assert.Equal([0.0, -1.0], g);
        Assert.Equal([0.0, 0.0], elements);
    }

    [Fact]
    public void InputsOfMinusTenThousand_GiveFiniteLossAndGradient()
    {
        // t = (0.5, 0.5), x = (-1e4, 0): KL = 0.5 (ln 0.5 + 1e4) + 0.5 ln 0.5 = 5000 - ln 2.
        float[] x = [-1e4f, 0f];
        var g = new float[2];
        var r = KlDivergence.Evaluate<float>(x, [0.5f, 0.5f], 2, new KlDivergenceOptions { Reduction = Reduction.Sum }, g, default);
        Assert.Equal(5000 - Math.Log(2), r.Value, 9);
        Assert.Equal([-0.5f, -0.5f], g);
    }

    [Fact]
    public void FloatAndDouble_Agree()
    {
        double[] x = LogSoftmaxRows(Reference.RandomLogits(55, 40), 8);
        double[] t = Reference.RandomProbabilities(56, 5, 8);
        var o = new KlDivergenceOptions { Reduction = Reduction.BatchMean };
        double d = KlDivergence.Evaluate<double>(x, t, 8, o, default, default).Value;
        double f = KlDivergence.Evaluate<float>(Reference.ToFloat(x), Reference.ToFloat(t), 8, o, default, default).Value;
        Assert.Equal(d, f, 5);
    }

    [Fact]
    public void BadInputs_Throw()
    {
        var t = Assert.Throws<ArgumentException>(() => KlDivergence.Evaluate<double>([-1.0, -1.0], [0.5, 1.5], 2, null, default, default));
        Assert.Contains("targets row 0, column 1", t.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => KlDivergence.Evaluate<double>([-1.0, -1.0], [double.NaN, 0.5], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => KlDivergence.Evaluate<double>([-1.0, -1.0], [0.1, -0.5], 2, new KlDivergenceOptions { LogTarget = true }, default, default));
        Assert.Throws<ArgumentException>(() => KlDivergence.Evaluate<double>([-1.0, -1.0], [0.5], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => KlDivergence.Evaluate<double>([-1.0, -1.0], [0.5, 0.5], 2, null, default, new double[3]));
    }
}

public class EntropyTests
{
    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void FromLogitsGradient_MatchesFiniteDifferences(Reduction reduction)
    {
        const int n = 4, k = 5;
        double[] z = Reference.RandomLogits(61, n * k);
        var o = new SoftmaxEntropyOptions { Reduction = reduction };
        var g = new double[n * k];
        SoftmaxEntropy.Evaluate<double>(z, k, o, g, default);
        var check = GradientChecker.Check(v => SoftmaxEntropy.Evaluate<double>(v, k, o, default, default).Value, z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void UniformRowHasLogK_OneHotHasZero_AndSeed002FruitsHaveThreeBits()
    {
        var rows = new double[2];
        Entropy.Evaluate<double>([0.25, 0.25, 0.25, 0.25, 0, 1, 0, 0], 4, null, default, rows);
        Assert.Equal(Math.Log(4), rows[0], 14);
        Assert.Equal(0.0, rows[1]);
        // Seed 002: eight equally likely fruits carry 3 bits of entropy.
        double[] fruits = new double[8];
        Array.Fill(fruits, 0.125);
        Assert.Equal(3.0, Entropy.Evaluate<double>(fruits, 8, null, default, default).Value / Math.Log(2), 14);
    }

    [Fact]
    public void FromLogits_EqualsEntropyOfSoftmax_AndMaskedClassesHaveZeroGradient()
    {
        double[] z = [1.0, double.NegativeInfinity, -0.5, 2.0];
        var g = new double[4];
        double h = SoftmaxEntropy.Evaluate<double>(z, 4, null, g, default).Value;
        double[] logp = Reference.LogSoftmax([1.0, -0.5, 2.0]);
        double expected = -logp.Sum(l => Math.Exp(l) * l);
        Assert.Equal(expected, h, 14);
        Assert.Equal(0.0, g[1]);
        Assert.Equal(0.0, g.Sum(), 14);
    }

    [Fact]
    public void LogitsOfTenThousand_GiveFiniteEntropyAndGradient()
    {
        float[] z = [1e4f, -1e4f, 1e4f];
        var g = new float[3];
        double h = SoftmaxEntropy.Evaluate<float>(z, 3, null, g, default).Value;
        Assert.Equal(Math.Log(2), h, 6);
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void BadRows_Throw()
    {
        Assert.Throws<ArgumentException>(() => Entropy.Evaluate<double>([0.5, 0.6], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => Entropy.Evaluate<double>([1.5, -0.5], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => Entropy.Evaluate<double>([double.NaN, 1], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxEntropy.Evaluate<double>([1.0, 2.0, 3.0], 2, null, default, default));
    }
}
