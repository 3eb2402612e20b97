using ClassLoss.Losses;
using ClassLoss.Training;
using ClassLoss.Training.Optimizers;

namespace ClassLoss.Tests.Training;

public class OptimizerAndLossFactoryTests
{
    [Fact]
    public void Sgd_Momentum_MatchesHandComputedSteps()
    {
        // PyTorch SGD(lr=0.1, momentum=0.9): v1 = g = 1, θ1 = 1 - 0.1 = 0.9; v2 = 0.9 + 1 = 1.9, θ2 = 0.9 - 0.19 = 0.71.
        var opt = OptimizerFactory.Create("sgd:lr=0.1,momentum=0.9", 1);
        float[] p = [1f];
        opt.Step(p, [1f], 0.1);
        Assert.Equal(0.9f, p[0], 6);
        opt.Step(p, [1f], 0.1);
        Assert.Equal(0.71f, p[0], 6);
    }

    [Fact]
    public void Sgd_Nesterov_MatchesHandComputedStep()
    {
        // Nesterov: v1 = 1, d = g + μ v1 = 1.9, θ1 = 1 - 0.19 = 0.81.
        var opt = OptimizerFactory.Create("sgd:lr=0.1,momentum=0.9,nesterov=true", 1);
        float[] p = [1f];
        opt.Step(p, [1f], 0.1);
        Assert.Equal(0.81f, p[0], 6);
    }

    [Fact]
    public void Adam_FirstStep_IsLearningRateTimesSign()
    {
        // With bias correction, m̂ = g and v̂ = g², so the first step is lr·g/(|g| + ε) ≈ lr·sign(g).
        var opt = OptimizerFactory.Create("adam:lr=0.01", 2);
        float[] p = [0f, 0f];
        opt.Step(p, [3f, -0.5f], 0.01);
        Assert.Equal(-0.01f, p[0], 6);
        Assert.Equal(0.01f, p[1], 6);
    }

    [Fact]
    public void AdamW_DecaysWeightsIndependentlyOfGradient()
    {
        // Zero gradient: m = v = 0, the update is 0, only θ(1 - lr·λ) = 1·(1 - 0.1·0.5) = 0.95 remains.
        var opt = OptimizerFactory.Create("adamw:lr=0.1,wd=0.5", 1);
        float[] p = [1f];
        opt.Step(p, [0f], 0.1);
        Assert.Equal(0.95f, p[0], 6);
    }

    [Fact]
    public void Schedules_MatchTheirDefinitions()
    {
        Assert.Equal(0.01, LearningRateSchedule.Parse("step:size=2,gamma=0.1").At(1, 4, 10), 12);
        Assert.Equal(0.5, LearningRateSchedule.Parse("cosine").At(1, 5, 10), 12);
        Assert.Equal(1.0, LearningRateSchedule.Parse("constant").At(1, 7, 10), 12);
    }

    [Theory]
    [InlineData("rmsprop:lr=1")]
    [InlineData("sgd:lr=0.1,beta=2")]
    [InlineData("sgd:lr=-1")]
    public void Optimizer_RejectsBadSpecs(string text)
    {
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(text, 3));
    }

    [Fact]
    public void Ce_CallsTheKernelWithItsOptions()
    {
        float[] z = [1f, 2f, 0.5f, -1f, 0f, 3f];
        int[] y = [1, 2];
        var loss = LossCatalog.Create("ce:smoothing=0.1,temperature=2", new LossContext(3));
        var expected = SoftmaxCrossEntropy.Evaluate<float>(z, y, 3, new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, Temperature = 2 }, default, default);
        Assert.Equal(expected.Value, loss.Evaluate(z, LossTargets.FromLabels(y), 3, default, default).Value);
        Assert.Equal("ce:smoothing=0.1,temperature=2", loss.Name);
    }

    [Fact]
    public void WeightedCe_Balanced_UsesScikitLearnWeights()
    {
        // sklearn class_weight="balanced": N / (K n_c) with counts (1, 3): 4/2 = 2 and 4/6 = 0.6667.
        var loss = (KernelLoss<SoftmaxCrossEntropyOptions>)LossCatalog.Create("weighted-ce:weights=balanced", new LossContext(2, [1, 3]));
        Assert.Equal(2.0, loss.Options.ClassWeights![0], 12);
        Assert.Equal(2.0 / 3, loss.Options.ClassWeights![1], 12);
        var listed = (KernelLoss<SoftmaxCrossEntropyOptions>)LossCatalog.Create("weighted-ce:weights=1;0.5", new LossContext(2));
        Assert.Equal([1.0, 0.5], listed.Options.ClassWeights!);
    }

    [Theory]
    [InlineData("softmax-hinge", "valid losses: ce, weighted-ce")]
    [InlineData("ce:gamma=2", "valid options: smoothing, temperature")]
    [InlineData("weighted-ce:weights=1;2;3", "3 weights for 2 classes")]
    [InlineData("ce:smoothing=abc", "not a finite number")]
    public void LossFactory_RejectsUnknownNamesAndOptions_ListingValidChoices(string text, string fragment)
    {
        var ex = Assert.Throws<ArgumentException>(() => LossCatalog.Create(text, new LossContext(2, [5, 5])));
        Assert.Contains(fragment, ex.Message);
    }
}
