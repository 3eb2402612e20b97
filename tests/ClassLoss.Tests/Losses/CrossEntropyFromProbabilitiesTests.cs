using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class CrossEntropyFromProbabilitiesTests
{
    [Theory]
    [InlineData(ProbabilityClamp.LogAtMinus100, false, Reduction.Mean)]
    [InlineData(ProbabilityClamp.KerasClip, true, Reduction.Mean)]
    [InlineData(ProbabilityClamp.None, true, Reduction.Sum)]
    [InlineData(ProbabilityClamp.KerasClip, false, Reduction.BatchMean)]
    public void Gradient_WithIndexTargets_MatchesFiniteDifferences(ProbabilityClamp clamp, bool weighted, Reduction reduction)
    {
        const int n = 4, k = 3;
        double[] p = Reference.RandomProbabilities(21, n, k);
        int[] y = [0, 2, -100, 1];
        var o = new CrossEntropyFromProbabilitiesOptions { Clamp = clamp, ClassWeights = weighted ? [1, 2, 0.5] : null, Reduction = reduction };
        var g = new double[n * k];
        CrossEntropyFromProbabilities.Evaluate<double>(p, y, k, o, g, default);
        var check = GradientChecker.Check(v => CrossEntropyFromProbabilities.Evaluate<double>(v, y, k, o, default, default).Value, p, g, 1e-8);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Theory]
    [InlineData(ProbabilityClamp.LogAtMinus100, false)]
    [InlineData(ProbabilityClamp.KerasClip, true)]
    public void Gradient_WithProbabilityTargets_MatchesFiniteDifferences(ProbabilityClamp clamp, bool weighted)
    {
        const int n = 3, k = 4;
        double[] p = Reference.RandomProbabilities(22, n, k);
        double[] t = Reference.RandomProbabilities(23, n, k);
        var o = new CrossEntropyFromProbabilitiesOptions { Clamp = clamp, ClassWeights = weighted ? [1, 2, 0.5, 0] : null };
        var g = new double[n * k];
        CrossEntropyFromProbabilities.Evaluate<double>(p, t, k, o, g, default);
        var check = GradientChecker.Check(v => CrossEntropyFromProbabilities.Evaluate<double>(v, t, k, o, default, default).Value, p, g, 1e-8);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void KerasCategoricalCrossentropyDocstringExample_Is1Point177()
    {
        // keras.losses.CategoricalCrossentropy docstring: y_true [[0,1,0],[0,0,1]], y_pred [[0.05,0.95,0],[0.1,0.8,0.1]]
        // gives 1.177 (= (-ln 0.95 - ln 0.1) / 2).
        double[] p = [0.05, 0.95, 0, 0.1, 0.8, 0.1];
        double[] t = [0, 1, 0, 0, 0, 1];
        var keras = CrossEntropyFromProbabilities.Evaluate<double>(p, t, 3, new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.KerasClip }, default, default);
        Assert.Equal(1.177, keras.Value, 3);
        var index = CrossEntropyFromProbabilities.Evaluate<float>([0.05f, 0.95f, 0f, 0.1f, 0.8f, 0.1f], [1, 2], 3, null, default, default);
        Assert.Equal(1.177, index.Value, 3);
    }

    [Fact]
    public void SklearnLogLossDocstringExample_Is0Point21616()
    {
        // sklearn.metrics.log_loss(["spam","ham","ham","spam"], [[.1,.9],[.9,.1],[.8,.2],[.35,.65]]) = 0.21616...
        // Classes sort as ham = 0, spam = 1. sklearn 1.2.1 prints 0.21616187468057912.
        double[] p = [.1, .9, .9, .1, .8, .2, .35, .65];
        var r = CrossEntropyFromProbabilities.Evaluate<double>(p, [1, 0, 0, 1], 2, null, default, default);
        Assert.Equal(0.21616, r.Value, 5);
        Assert.Equal(0.21616187468057912, r.Value, 14);
    }

    [Fact]
    public void Seed001_EqualCrossEntropyForDifferentlySpreadWrongMass_AndRatioAboutTwo()
    {
        // Seed 001: target (1,0,0); (0.8,0.2,0) and (0.8,0.1,0.1) have equal CE; (0.8,0.2,0) vs (0.9,0.1,0) is ~2x under CE.
        double a = CrossEntropyFromProbabilities.Evaluate<double>([0.8, 0.2, 0], [0], 3, null, default, default).Value;
        double b = CrossEntropyFromProbabilities.Evaluate<double>([0.8, 0.1, 0.1], [0], 3, null, default, default).Value;
        double c = CrossEntropyFromProbabilities.Evaluate<double>([0.9, 0.1, 0], [0], 3, null, default, default).Value;
        Assert.Equal(a, b);
        Assert.Equal(Math.Log(0.8) / Math.Log(0.9), a / c, 12);
        Assert.InRange(a / c, 2.0, 2.2);
    }

    [Fact]
    public void ZeroProbabilityAtTarget_ClampsToHundredOrKerasEpsilon_WithZeroGradient()
    {
        var g = new double[2];
        var torch = CrossEntropyFromProbabilities.Evaluate<double>([0.0, 1.0], [0], 2, null, g, default);
        Assert.Equal(100.0, torch.Value);
        Assert.Equal([0.0, 0.0], g);
        var keras = CrossEntropyFromProbabilities.Evaluate<double>([0.0, 1.0], [0], 2, new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.KerasClip }, g, default);
        Assert.Equal(-Math.Log(1e-7), keras.Value, 12);
        Assert.Equal([0.0, 0.0], g);
        var exact = CrossEntropyFromProbabilities.Evaluate<double>([0.0, 1.0], [0], 2, new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.None }, default, default);
        Assert.True(double.IsPositiveInfinity(exact.Value));
        // A zero target with zero probability contributes nothing under every clamp.
        Assert.Equal(0.0, CrossEntropyFromProbabilities.Evaluate<double>([0.0, 1.0], [0.0, 1.0], 2, new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.None }, default, default).Value);
    }

    [Fact]
    public void CrossEntropy_EqualsEntropyPlusKl_AndIsAtLeastTheEntropy()
    {
        // Seed 000: KL(t || p) = CE(t, p) - H(t).
        const int n = 6, k = 5;
        double[] p = Reference.RandomProbabilities(24, n, k);
        double[] t = Reference.RandomProbabilities(25, n, k);
        var ce = new double[n];
        var h = new double[n];
        var kl = new double[n];
        CrossEntropyFromProbabilities.Evaluate<double>(p, t, k, new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.None, Reduction = Reduction.None }, default, ce);
        Entropy.Evaluate<double>(t, k, null, default, h);
        KlDivergence.Evaluate<double>(Array.ConvertAll(p, Math.Log), t, k, new KlDivergenceOptions { Reduction = Reduction.None }, default, kl);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(h[i] + kl[i], ce[i], 12);
            Assert.True(ce[i] >= h[i]);
        }
    }

    [Fact]
    public void BadInputs_Throw()
    {
        var over = Assert.Throws<ArgumentException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.5, 1.5], [0], 2, null, default, default));
        Assert.Contains("input row 0, column 1", over.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.5, double.NaN], [0], 2, null, default, default));
        var target = Assert.Throws<ArgumentException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.5, 0.5], [1.2, -0.2], 2, null, default, default));
        Assert.Contains("targets row 0, column 0", target.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.5, 0.5], [0.5, 0.4], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.5, 0.5], [2], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.5, 0.5], [0.5, 0.5, 0.0], 2, null, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.5, 0.5], [0], 2, new CrossEntropyFromProbabilitiesOptions { ClipEpsilon = 0 }, default, default));
    }

    [Fact]
    public void EpsilonOfDoubleEpsilonIsAnError_NotAClipOf744()
    {
        // double.Epsilon (4.9e-324) is a .NET user's natural guess for "a tiny epsilon"; as a clip it turned log 0
        // into 744.4 instead of Keras's 36.0 (issue 11). It is refused, naming the option.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.0, 1.0], [0], 2,
            new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.Keras, ClipEpsilon = double.Epsilon }, default, default));
        Assert.Equal("ClipEpsilon", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryCrossEntropyFromProbabilities.Evaluate<double>([0.5], [1.0], 1,
            new BinaryCrossEntropyFromProbabilitiesOptions { ClipEpsilon = 0.75 }, default, default));
    }

    [Fact]
    public void NamedClampsAreTheConventionsTheyName()
    {
        Assert.Equal(ProbabilityClamp.LogAtMinus100, ProbabilityClamp.Pytorch);
        Assert.Equal(ProbabilityClamp.KerasClip, ProbabilityClamp.Keras);
        Assert.Equal(ProbabilityClamp.KerasClip, ProbabilityClamp.Sklearn);

        // scikit-learn's log_loss clips to [eps, 1 - eps] with eps = float64 machine epsilon: log(2.22e-16) = -36.04.
        var sk = CrossEntropyFromProbabilities.Evaluate<double>([1.0, 0.0], [1], 2,
            new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.Sklearn, ClipEpsilon = 2.220446049250313e-16 }, default, default);
        Assert.Equal(36.04365338911715, sk.Value, 9);
    }

    [Fact]
    public void PredictionRowThatDoesNotSumToOneIsAnErrorNamingTheRow()
    {
        var e = Assert.Throws<ArgumentException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.2, 0.8, 0.6, 0.9], [0, 1], 2, null, default, default));
        Assert.StartsWith("input row 1 sums to 1.5, not 1", e.Message, StringComparison.Ordinal);
        Assert.Equal("input", e.ParamName);
        Assert.Throws<ArgumentException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.2, 0.8, 0.6, 0.9], [0.0, 1, 0, 1], 2, null, default, default));
    }

    [Fact]
    public void RenormalizeDividesEachRowByItsSumAsKeras()
    {
        // Keras's CategoricalCrossentropy divides y_pred by its row sum first: [0.5, 0.99] against class 1 gives
        // -log(0.99 / 1.49) = 0.408819; the unnormalised row gives -log(0.99) = 0.01005.
        var keras = new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.Keras, Renormalize = true };
        var r = CrossEntropyFromProbabilities.Evaluate<double>([0.5, 0.99], [1], 2, keras, default, default);
        Assert.Equal(-Math.Log(0.99 / 1.49), r.Value, 12);
        var soft = CrossEntropyFromProbabilities.Evaluate<double>([0.5, 0.99], [0.0, 1.0], 2, keras, default, default);
        Assert.Equal(r.Value, soft.Value, 12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RenormalizedGradientMatchesCentralDifferences(bool softTargets)
    {
        double[] p = [0.3, 0.9, 0.4, 0.2, 0.1, 0.6, 0.25, 0.5, 0.5];
        double[] t = [0.2, 0.5, 0.3, 0, 1, 0, 0.1, 0.1, 0.8];
        int[] y = [1, 2, 0];
        var o = new CrossEntropyFromProbabilitiesOptions { Renormalize = true, ClassWeights = [1.0, 2.0, 0.5] };
        var g = new double[p.Length];
        Func<double[], double> f = softTargets
            ? x => CrossEntropyFromProbabilities.Evaluate<double>(x, t, 3, o, default, default).Value
            : x => CrossEntropyFromProbabilities.Evaluate<double>(x, y, 3, o, default, default).Value;
        if (softTargets)
        {
            CrossEntropyFromProbabilities.Evaluate<double>(p, t, 3, o, g, default);
        }
        else
        {
            CrossEntropyFromProbabilities.Evaluate<double>(p, y, 3, o, g, default);
        }

        var check = GradientChecker.Check(f, p, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void RenormalizingARowOfZerosIsAnErrorNamingTheRow()
    {
        var e = Assert.Throws<ArgumentException>(() => CrossEntropyFromProbabilities.Evaluate<double>([0.5, 0.5, 0, 0], [0, 1], 2,
            new CrossEntropyFromProbabilitiesOptions { Renormalize = true }, default, default));
        Assert.StartsWith("input row 1 sums to 0", e.Message, StringComparison.Ordinal);
    }
}
