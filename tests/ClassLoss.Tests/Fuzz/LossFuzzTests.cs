namespace ClassLoss.Tests.Fuzz;

// Property fuzzing of every public loss (src/ClassLoss/Losses), float and double, through LossFuzz.Check: only
// ArgumentExceptions, thrown exactly for the inputs the documented checks reject and naming the argument, row and column;
// every output written; no NaN from finite valid inputs; the float path (fused where it exists) within FuzzTolerance of
// the double (generic) path. The numbers are each test's cases per 100,000 (FuzzRunner): the fused kernels get most.
// The classes split the tests so that xunit runs them on both cores.

/// <summary>The losses with fused float kernels.</summary>
public class FusedLossFuzzTests
{
    [Fact]
    public void SoftmaxCrossEntropyWithIndexTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new CrossEntropyIndexSpec(), 10_000);

    [Fact]
    public void SoftmaxCrossEntropyWithProbabilityTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new CrossEntropySoftSpec(), 9_000);

    [Fact]
    public void SoftmaxFocalWithIndexTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new FocalIndexSpec(), 8_000);

    [Fact]
    public void SoftmaxFocalWithProbabilityTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new FocalSoftSpec(), 7_000);
}

/// <summary>The element-wise losses with fused float kernels.</summary>
public class FusedElementwiseLossFuzzTests
{
    [Fact]
    public void SigmoidFocal_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new SigmoidFocalSpec(), 8_000);

    [Fact]
    public void SigmoidBinaryCrossEntropy_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new SigmoidBinaryCrossEntropySpec(elementWeights: false), 7_000);

    [Fact]
    public void SigmoidBinaryCrossEntropyWithElementWeights_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new SigmoidBinaryCrossEntropySpec(elementWeights: true), 2_000);
}

/// <summary>The other losses over logits (generic kernels in both types).</summary>
public class LogitLossFuzzTests
{
    [Fact]
    public void PolyLossWithIndexTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new PolyIndexSpec(), 2_000);

    [Fact]
    public void PolyLossWithProbabilityTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new PolySoftSpec(), 2_000);

    [Fact]
    public void SoftmaxBrierScoreWithIndexTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new SoftmaxBrierIndexSpec(), 2_000);

    [Fact]
    public void SoftmaxBrierScoreWithProbabilityTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new SoftmaxBrierSoftSpec(), 2_000);

    [Fact]
    public void SigmoidBrierScore_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new SigmoidBrierSpec(), 2_000);

    [Fact]
    public void ZLossEvaluate_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new ZLossSpec(addTo: false), 1_500);

    [Fact]
    public void ZLossAddTo_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new ZLossSpec(addTo: true), 1_000);

    [Fact]
    public void EntropyFromLogits_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new EntropyFromLogitsSpec(), 1_500);

    [Fact]
    public void SparsemaxLoss_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new SparsemaxLossSpec(), 2_000);

    [Fact]
    public void MultiMarginHinge_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new MultiMarginSpec(), 2_000);

    [Fact]
    public void NegativeLogLikelihood_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new NegativeLogLikelihoodSpec(), 2_000);

    [Fact]
    public void KlDivergence_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new KlDivergenceSpec(), 2_000);
}

/// <summary>The losses over probabilities (generic kernels in both types).</summary>
public class ProbabilityLossFuzzTests
{
    [Fact]
    public void CrossEntropyFromProbabilitiesWithIndexTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new ProbabilityCrossEntropyIndexSpec(), 2_000);

    [Fact]
    public void CrossEntropyFromProbabilitiesWithProbabilityTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new ProbabilityCrossEntropySoftSpec(), 2_000);

    [Fact]
    public void BinaryCrossEntropy_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new BinaryCrossEntropySpec(elementWeights: false), 2_000);

    [Fact]
    public void BinaryCrossEntropyWithElementWeights_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new BinaryCrossEntropySpec(elementWeights: true), 1_500);

    [Fact]
    public void BrierScoreWithIndexTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new BrierIndexSpec(), 1_500);

    [Fact]
    public void BrierScoreWithProbabilityTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new BrierSoftSpec(), 1_500);

    [Fact]
    public void WeightedKappaLoss_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new WeightedKappaSpec(), 1_500);

    [Fact]
    public void EntropyOfProbabilities_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new EntropyOfProbabilitiesSpec(), 1_500);
}
