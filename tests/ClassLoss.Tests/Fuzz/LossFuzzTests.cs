using CsCheck;

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
    public void NegativeLogLikelihoodWithSampleWeights_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new WeightedNegativeLogLikelihoodSpec(), 1_500);

    [Fact]
    public void FocalFromProbabilitiesWithIndexTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new FocalFromProbabilitiesIndexSpec(), 1_500);

    [Fact]
    public void FocalFromProbabilitiesWithProbabilityTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new FocalFromProbabilitiesSoftSpec(), 1_500);

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
    public void BinaryFocalFromProbabilitiesWithElementWeights_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() =>
        LossFuzz.Run(new BinaryFocalFromProbabilitiesSpec(), 1_500);

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

/// <summary><see cref="ClassLoss.Losses.ClassBalancedWeights"/>: the weights behind class-weighted losses.</summary>
public class ClassBalancedWeightsFuzzTests
{
    /// <summary>
    /// Only ArgumentExceptions (an empty or non-positive count naming counts[c], a β outside [0, 1] naming beta); otherwise
    /// K finite positive weights summing to K, the same from int and long counts.
    /// </summary>
    [Fact]
    public void ClassBalancedWeights_ThrowsOnlyForBadInputs_GivesFinitePositiveWeightsSummingToK()
    {
        var count = Gen.Frequency((8, Gen.Long[1, 100_000]), (1, Gen.OneOf(1L, int.MaxValue, long.MaxValue / 3, 0L, -5L)));
        var gen = Gen.Select(count.Array[0, 40], Gen.Frequency(
            (6, Gen.Double[0, 1]), (2, Gen.OneOf(0.0, 1.0, 0.9, 0.99, 0.9999, 1 - 1e-12, 1e-300)), (1, Gen.OneOf(-0.1, 1.5, double.NaN, double.PositiveInfinity))));
        FuzzRunner.Run(gen, t =>
        {
            var (counts, beta) = t;
            int bad = Array.FindIndex(counts, c => c <= 0);
            double[] w;
            try
            {
                w = ClassLoss.Losses.ClassBalancedWeights.Compute(counts, beta);
            }
            catch (ArgumentException e)
            {
                bool expected = counts.Length == 0 ? e.ParamName == "counts"
                    : !(beta >= 0 && beta <= 1) ? e.ParamName == "beta"
                    : bad >= 0 && e.ParamName == "counts" && e.Message.Contains($"counts[{bad}]", StringComparison.Ordinal);
                if (!expected)
                {
                    throw new FuzzPropertyException($"unexpected exception for counts [{string.Join(", ", counts)}], beta {beta:R}: {e.Message}");
                }

                return;
            }

            if (counts.Length == 0 || !(beta >= 0 && beta <= 1) || bad >= 0)
            {
                throw new FuzzPropertyException($"no exception for counts [{string.Join(", ", counts)}], beta {beta:R}");
            }

            if (!Array.TrueForAll(w, v => double.IsFinite(v) && v > 0) || Math.Abs(w.Sum() - counts.Length) > 1e-9 * counts.Length)
            {
                throw new FuzzPropertyException($"weights [{string.Join(", ", w)}] for counts [{string.Join(", ", counts)}], beta {beta:R}");
            }

            if (Array.TrueForAll(counts, c => c <= int.MaxValue))
            {
                double[] fromInts = ClassLoss.Losses.ClassBalancedWeights.Compute(Array.ConvertAll(counts, c => (int)c), beta);
                if (!fromInts.AsSpan().SequenceEqual(w))
                {
                    throw new FuzzPropertyException($"int counts give [{string.Join(", ", fromInts)}], long counts [{string.Join(", ", w)}]");
                }
            }
        }, 1_000, "ClassBalancedWeights", t => $"counts [{string.Join(", ", t.Item1)}], beta {t.Item2:R}");
    }
}
