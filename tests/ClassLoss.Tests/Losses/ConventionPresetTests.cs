using ClassLoss.Losses;

namespace ClassLoss.Tests.Losses;

/// <summary>
/// Issue 11 item 8, parity presets: <see cref="LossConventions.Following{TOptions}"/> switches every convention of a
/// loss's options to PyTorch's, Keras's or Optax's in one call, so the anchors' published examples port in a line;
/// the model's own choices (γ, class weights, smoothing) survive the switch.
/// </summary>
public sealed class ConventionPresetTests
{
    [Fact]
    public void Keras_CategoricalCrossentropyDocstring_Gives1Point177And0Point814WithSampleWeights()
    {
        // keras.losses.CategoricalCrossentropy docstring (Keras 3): y_true [[0, 1, 0], [0, 0, 1]],
        // y_pred [[0.05, 0.95, 0], [0.1, 0.8, 0.1]] -> 1.177; sample_weight=[0.3, 0.7] -> 0.814.
        double[] p = [0.05, 0.95, 0, 0.1, 0.8, 0.1];
        double[] y = [0, 1, 0, 0, 0, 1];
        var keras = new CrossEntropyFromProbabilitiesOptions().Following(Convention.Keras);
        Assert.Equal(1.177, CrossEntropyFromProbabilities.Evaluate<double>(p, y, 3, keras, default, default).Value, 3);
        Assert.Equal(0.814, CrossEntropyFromProbabilities.Evaluate<double>(p, y, 3, keras, default, default, sampleWeights: [0.3, 0.7]).Value, 3);
    }

    [Fact]
    public void Keras_BinaryCrossentropyDocstring_Gives0Point815And0Point458WithSampleWeights()
    {
        // keras.losses.BinaryCrossentropy docstring: y_true [[0, 1], [0, 0]], y_pred [[0.6, 0.4], [0.4, 0.6]] -> 0.815;
        // sample_weight=[1, 0] -> 0.458 (sum_over_batch_size divides by N, not by the weight).
        double[] p = [0.6, 0.4, 0.4, 0.6];
        double[] y = [0, 1, 0, 0];
        var keras = new BinaryCrossEntropyFromProbabilitiesOptions().Following(Convention.Keras);
        Assert.Equal(0.815, BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, 2, keras, default, default).Value, 3);
        Assert.Equal(0.458, BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, 2, keras, default, default, sampleWeights: [1.0, 0.0]).Value, 3);
    }

    [Fact]
    public void Keras_BinaryFocalCrossentropyDocstring_Gives0Point691_WithAlphaOff()
    {
        // keras.losses.BinaryFocalCrossentropy(gamma=2, from_logits=True) docstring: 0.691; class balancing is off by default.
        double[] x = [-18.6, 0.51, 2.94, -12.8];
        double[] y = [0, 1, 0, 0];
        var keras = new SigmoidFocalOptions { Gamma = 2 }.Following(Convention.Keras);
        Assert.False(keras.ApplyClassBalancing);
        Assert.Equal(0.691, SigmoidFocal.Evaluate<double>(x, y, 4, keras, default, default).Value, 3);
        Assert.True(new SigmoidFocalOptions().Following(Convention.Pytorch).ApplyClassBalancing);
        Assert.False(new SigmoidFocalOptions().Following(Convention.Optax).ApplyClassBalancing);
    }

    [Fact]
    public void Pytorch_MeanOfEveryRowIgnored_IsNaN_WithAZeroGradient()
    {
        double[] z = [1, 2, 3, 4];
        var g = new double[4];
        var torch = new SoftmaxCrossEntropyOptions().Following(Convention.Pytorch);
        Assert.True(double.IsNaN(SoftmaxCrossEntropy.Evaluate<double>(z, [-100, -100], 2, torch, g, default).Value));
        Assert.All(g, v => Assert.Equal(0, v));
        Assert.Equal(0, SoftmaxCrossEntropy.Evaluate<double>(z, [-100, -100], 2, new SoftmaxCrossEntropyOptions().Following(Convention.Optax) with { Reduction = Reduction.Mean }, g, default).Value);
    }

    [Fact]
    public void Pytorch_BrierIsMseLoss_TheElementMeanOfTheSoftmax()
    {
        double[] z = [0.5, -1, 2, 0, 0, 1];
        int[] y = [2, 0];
        double expected = 0;
        for (int i = 0; i < 2; i++)
        {
            double[] row = z.Skip(i * 3).Take(3).ToArray();
            double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
            for (int c = 0; c < 3; c++)
            {
                double d = (Math.Exp(row[c] - max) / sum) - (c == y[i] ? 1 : 0);
                expected += d * d;
            }
        }

        var torch = new SoftmaxBrierScoreOptions().Following(Convention.Pytorch);
        Assert.Equal(expected / 6, SoftmaxBrierScore.Evaluate<double>(z, y, 3, torch, default, default).Value, 12);
    }

    [Fact]
    public void Optax_GivesPerExampleLosses_AsOptaxReturnsThem()
    {
        double[] z = [1, 2, 3, 3, 2, 1];
        var losses = new double[2];
        var optax = new SoftmaxCrossEntropyOptions().Following(Convention.Optax);
        Assert.Equal(Reduction.None, optax.Reduction);
        double total = SoftmaxCrossEntropy.Evaluate<double>(z, [2, 1], 3, optax, default, losses).Value;
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        Assert.Equal(lse - 3, losses[0], 12);
        Assert.Equal(lse - 2, losses[1], 12);
        Assert.Equal(losses.Sum(), total, 12);
    }

    [Fact]
    public void Following_KeepsTheModelsChoices_AndLeavesTheOriginalUnchanged()
    {
        var mine = new SoftmaxFocalOptions { Gamma = 3, Alpha = 0.5, LabelSmoothing = 0.1, IgnoreIndex = 7, MaxDegreeOfParallelism = 2 };
        var keras = mine.Following(Convention.Keras);
        Assert.Equal((3.0, 0.5, 0.1, 7, 2), (keras.Gamma, keras.Alpha, keras.LabelSmoothing, keras.IgnoreIndex, keras.MaxDegreeOfParallelism));
        Assert.Equal((Reduction.BatchMean, SampleWeightedMean.BatchSize, EmptyMean.Zero), (keras.Reduction, keras.WeightedMean, keras.WhenEmpty));
        Assert.Equal((Reduction.Mean, SampleWeightedMean.WeightSum, EmptyMean.Zero), (mine.Reduction, mine.WeightedMean, mine.WhenEmpty));

        var bce = new SigmoidBinaryCrossEntropyOptions { ClassWeights = [1, 2], PositiveWeights = [3, 4] }.Following(Convention.Keras);
        Assert.Equal(Reduction.Mean, bce.Reduction);
        Assert.Equal([1.0, 2.0], bce.ClassWeights!);

        var probs = new CrossEntropyFromProbabilitiesOptions().Following(Convention.Keras);
        Assert.Equal((ProbabilityClamp.KerasClip, 1e-7, true), (probs.Clamp, probs.ClipEpsilon, probs.Renormalize));
        var optax = new BinaryCrossEntropyFromProbabilitiesOptions().Following(Convention.Optax);
        Assert.Equal(ProbabilityClamp.None, optax.Clamp);
        Assert.False(new KlDivergenceOptions { LogTarget = true }.Following(Convention.Pytorch).LogTarget);
        Assert.Equal(Reduction.Mean, new WeightedKappaOptions().Following(Convention.Optax).Reduction);

        Assert.Throws<ArgumentOutOfRangeException>(() => mine.Following((Convention)9));
    }
}
