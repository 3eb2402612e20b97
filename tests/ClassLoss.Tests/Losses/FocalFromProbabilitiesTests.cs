using ClassLoss.Diagnostics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Losses;

public sealed class FocalFromProbabilitiesTests
{
    // keras.losses.CategoricalFocalCrossentropy docstring (from_logits=False): these targets and predictions.
    private static readonly double[] Targets = [0, 1, 0, 0, 0, 1];
    private static readonly double[] Predictions = [0.05, 0.95, 0, 0.1, 0.8, 0.1];

    [Fact]
    public void KerasCategoricalFocalCrossentropyDocstringExamples()
    {
        // cce(y_true, y_pred) = 0.23315276; sample_weight [0.3, 0.7] gives 0.16320634 (sum_over_batch_size);
        // reduction="sum" 0.46631; reduction=None [3.2058331e-05, 4.6627346e-01].
        Assert.Equal(0.23315276, FocalFromProbabilities.Evaluate<double>(Predictions, Targets, 3, null, default, default).Value, 7);
        var keras = new FocalFromProbabilitiesOptions { WeightedMean = SampleWeightedMean.BatchSize };
        // The docstring's 0.16320634 differs from the exact (0.3·3.2058e-5 + 0.7·0.46627346) / 2 = 0.1632005 by 6e-6
        // (Keras computes in float32); it agrees within 1e-5.
        Assert.Equal(0.16320634, FocalFromProbabilities.Evaluate<double>(Predictions, Targets, 3, keras, default, default, [0.3, 0.7]).Value, 1e-5);
        Assert.Equal(0.46631, FocalFromProbabilities.Evaluate<double>(Predictions, Targets, 3, new FocalFromProbabilitiesOptions { Reduction = Reduction.Sum }, default, default).Value, 5);
        var rows = new double[2];
        FocalFromProbabilities.Evaluate<double>(Predictions, [1, 2], 3, new FocalFromProbabilitiesOptions { Reduction = Reduction.None }, default, rows);
        Assert.Equal(3.2058331e-05, rows[0], 10);
        Assert.Equal(0.46627346, rows[1], 7);
    }

    [Fact]
    public void OnSoftmaxOutputsItIsSoftmaxFocalWithoutTheClip()
    {
        // Same loss as SoftmaxFocal of the logits when p = softmax(z) and no clip is active.
        double[] z = [0.3, -1.2, 2.0, 0.1, 0.7, -0.4, 1.1, 0.0, -2.0];
        double[] p = new double[z.Length];
        for (int i = 0; i < 3; i++)
        {
            double m = Math.Max(z[3 * i], Math.Max(z[(3 * i) + 1], z[(3 * i) + 2]));
            double s = Math.Exp(z[3 * i] - m) + Math.Exp(z[(3 * i) + 1] - m) + Math.Exp(z[(3 * i) + 2] - m);
            for (int c = 0; c < 3; c++)
            {
                p[(3 * i) + c] = Math.Exp(z[(3 * i) + c] - m) / s;
            }
        }

        int[] y = [2, 0, 1];
        var a = FocalFromProbabilities.Evaluate<double>(p, y, 3, null, default, default);
        var b = SoftmaxFocal.Evaluate<double>(z, y, 3, null, default, default);
        Assert.Equal(b.Value, a.Value, 12);
    }

    [Theory]
    [InlineData(2.0, false, 0.0)]
    [InlineData(0.5, false, 0.1)]
    [InlineData(2.0, true, 0.0)]
    [InlineData(1.0, true, 0.2)]
    public void GradientMatchesCentralDifferences(double gamma, bool renormalize, double smoothing)
    {
        double[] p = [0.2, 0.5, 0.3, 0.1, 0.1, 0.8, 0.6, 0.3, 0.1];
        if (renormalize)
        {
            p = [0.3, 0.9, 0.4, 0.2, 0.1, 0.6, 0.25, 0.5, 0.5];
        }

        double[] t = [0.2, 0.5, 0.3, 0, 1, 0, 0.1, 0.1, 0.8];
        var o = new FocalFromProbabilitiesOptions { Gamma = gamma, Renormalize = renormalize, LabelSmoothing = smoothing, ClassAlpha = [0.5, 1.0, 2.0] };
        foreach (bool soft in new[] { false, true })
        {
            var g = new double[p.Length];
            if (soft)
            {
                FocalFromProbabilities.Evaluate<double>(p, t, 3, o, g, default);
            }
            else
            {
                FocalFromProbabilities.Evaluate<double>(p, [1, 2, 0], 3, o, g, default);
            }

            Func<double[], double> f = soft
                ? x => FocalFromProbabilities.Evaluate<double>(x, t, 3, o with { PredictionSumTolerance = double.NaN }, default, default).Value
                : x => FocalFromProbabilities.Evaluate<double>(x, [1, 2, 0], 3, o with { PredictionSumTolerance = double.NaN }, default, default).Value;
            var check = GradientChecker.Check(f, p, g);
            Assert.True(check.Passes(g, 1e-6, 1e-9), $"soft={soft}: max rel error {check.MaxRelativeError} at {check.WorstIndex}");
        }
    }

    [Fact]
    public void BadPredictionsAreErrorsNamingTheRow()
    {
        var e = Assert.Throws<ArgumentException>(() => FocalFromProbabilities.Evaluate<double>([0.2, 0.8, 0.6, 0.9], [0, 1], 2, null, default, default));
        Assert.StartsWith("input row 1 sums to 1.5, not 1", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FocalFromProbabilities.Evaluate<double>([0.2, 1.8], [0], 2, null, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => FocalFromProbabilities.Evaluate<double>([0.2, 0.8], [0], 2,
            new FocalFromProbabilitiesOptions { ClipEpsilon = double.Epsilon }, default, default));
    }

    [Fact]
    public void FloatAgreesWithDouble()
    {
        float[] p = [0.05f, 0.95f, 0f, 0.1f, 0.8f, 0.1f];
        var f = FocalFromProbabilities.Evaluate<float>(p, [1, 2], 3, null, default, default);
        Assert.Equal(0.23315276, f.Value, 6);
    }
}
