using ClassLoss.Diagnostics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Losses;

/// <summary><see cref="BinaryFocalFromProbabilities"/>: Keras's <c>BinaryFocalCrossentropy(from_logits=False)</c>.</summary>
public sealed class BinaryFocalFromProbabilitiesTests
{
    private static double[] Random01(int seed, int length, double low = 0.02, double high = 0.98)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => low + ((high - low) * rng.NextDouble())).ToArray();
    }

    [Fact]
    public void KerasDocstring_GivesPerSampleLosses0Point32986466And0Point20579838()
    {
        // keras.losses.binary_focal_crossentropy docstring (and the R interface's loss_binary_focal_crossentropy):
        // y_true [[0, 1], [0, 0]], y_pred [[0.6, 0.4], [0.4, 0.6]], gamma=2 -> [0.32986466, 0.20579838] per sample.
        double[] p = [0.6, 0.4, 0.4, 0.6];
        double[] y = [0, 1, 0, 0];
        var rows = new double[2];
        var o = new BinaryFocalFromProbabilitiesOptions { Reduction = Reduction.None };
        BinaryFocalFromProbabilities.Evaluate<double>(p, y, 2, o, default, rows);
        // Keras's per-sample loss is the mean over the 2 classes; ours is the row sum.
        Assert.Equal(0.32986466, rows[0] / 2, 7);
        Assert.Equal(0.20579838, rows[1] / 2, 7);
        double keras = BinaryFocalFromProbabilities.Evaluate<double>(p, y, 2, new BinaryFocalFromProbabilitiesOptions().Following(Convention.Keras), default, default).Value;
        Assert.Equal((0.32986466 + 0.20579838) / 2, keras, 7);
    }

    [Theory]
    [InlineData(2.0, false, 0.0)]
    [InlineData(0.0, true, 0.0)]
    [InlineData(1.0, true, 0.1)]
    [InlineData(3.5, false, 0.2)]
    public void EqualsSigmoidFocal_OnTheSigmoidOfTheLogits(double gamma, bool balancing, double smoothing)
    {
        const int n = 4, k = 3;
        double[] x = Random01(1, n * k).Select(v => (v * 8) - 4).ToArray();
        double[] p = x.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
        double[] y = Random01(2, n * k, 0, 1);
        var logits = new SigmoidFocalOptions { Gamma = gamma, ApplyClassBalancing = balancing, Alpha = 0.3, LabelSmoothing = smoothing, Reduction = Reduction.None };
        var probs = new BinaryFocalFromProbabilitiesOptions
        {
            Gamma = gamma, ApplyClassBalancing = balancing, Alpha = 0.3, LabelSmoothing = smoothing, Reduction = Reduction.None, Clamp = ProbabilityClamp.None,
        };
        double[] a = new double[n * k], b = new double[n * k], ga = new double[n * k], gb = new double[n * k];
        SigmoidFocal.Evaluate<double>(x, y, k, logits, ga, a);
        BinaryFocalFromProbabilities.Evaluate<double>(p, y, k, probs, gb, b);
        for (int j = 0; j < a.Length; j++)
        {
            Assert.Equal(a[j], b[j], 11);
            // Chain rule: ∂ℓ/∂x = ∂ℓ/∂p · p (1 - p).
            Assert.Equal(ga[j], gb[j] * p[j] * (1 - p[j]), 10);
        }
    }

    [Theory]
    [InlineData(2.0, false, 0.0, ProbabilityClamp.Keras, Reduction.Mean)]
    [InlineData(0.5, true, 0.0, ProbabilityClamp.LogAtMinus100, Reduction.Sum)]
    [InlineData(1.0, true, 0.3, ProbabilityClamp.None, Reduction.BatchMean)]
    [InlineData(0.0, false, 0.1, ProbabilityClamp.Keras, Reduction.None)]
    public void Gradient_MatchesCentralDifferences(double gamma, bool balancing, double smoothing, ProbabilityClamp clamp, Reduction reduction)
    {
        const int n = 3, k = 4;
        double[] p = Random01(3, n * k);
        double[] y = Random01(4, n * k, 0, 1).Select((v, j) => j % 3 == 0 ? Math.Round(v) : v).ToArray();
        var o = new BinaryFocalFromProbabilitiesOptions { Gamma = gamma, ApplyClassBalancing = balancing, LabelSmoothing = smoothing, Clamp = clamp, Reduction = reduction };
        var g = new double[n * k];
        BinaryFocalFromProbabilities.Evaluate<double>(p, y, k, o, g, default);
        var check = GradientChecker.Check(v => BinaryFocalFromProbabilities.Evaluate<double>(v, y, k, o, default, default).Value, p, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void FloatMatchesDouble_AndTheClipKeepsZeroAndOneFinite()
    {
        double[] p = [0, 1, 0.5, 1e-12, 1 - 1e-12, 0.3];
        double[] y = [1, 0, 1, 1, 0, 0];
        var g = new double[6];
        var r = BinaryFocalFromProbabilities.Evaluate<double>(p, y, 3, null, g, default);
        Assert.True(double.IsFinite(r.Value));
        Assert.All(g, v => Assert.True(double.IsFinite(v)));
        float[] pf = p.Select(v => (float)v).ToArray(), yf = y.Select(v => (float)v).ToArray();
        Assert.Equal(r.Value, BinaryFocalFromProbabilities.Evaluate<float>(pf, yf, 3, null, default, default).Value, 4);
    }

    [Fact]
    public void BadInputs_AreErrorsNamingArgumentRowAndColumn()
    {
        var e = Assert.Throws<ArgumentException>(() => BinaryFocalFromProbabilities.Evaluate<double>([0.5, 1.5], [0, 1], 2, null, default, default));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("row 0, column 1", e.Message, StringComparison.Ordinal);
        var t = Assert.Throws<ArgumentException>(() => BinaryFocalFromProbabilities.Evaluate<double>([0.5, 0.5], [0, double.NaN], 2, null, default, default));
        Assert.Equal("targets", t.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            BinaryFocalFromProbabilities.Evaluate<double>([0.5, 0.5], [0, 1], 2, new BinaryFocalFromProbabilitiesOptions { Alpha = -1 }, default, default));
        Assert.Throws<ArgumentException>(() =>
            BinaryFocalFromProbabilities.Evaluate<double>([0.5, 0.5], [0, 1], 2, new BinaryFocalFromProbabilitiesOptions { IgnoreIndex = 1 }, default, default));
    }
}
