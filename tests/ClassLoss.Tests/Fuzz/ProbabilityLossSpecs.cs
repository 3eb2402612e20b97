using ClassLoss.Losses;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

/// <summary>Options of <see cref="CrossEntropyFromProbabilities"/>.</summary>
internal static class ProbabilityCrossEntropyGen
{
    public static Gen<(CrossEntropyFromProbabilitiesOptions, string?)> Options(Batch b) =>
        from which in OptionGen.Which(b, 4)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from weights in OptionGen.Weights(b)
        from badWeights in OptionGen.BadWeights(Math.Max(1, b.K))
        from clamp in Gen.OneOf(ProbabilityClamp.LogAtMinus100, ProbabilityClamp.KerasClip, ProbabilityClamp.None)
        from epsilon in Gen.OneOf(1e-7, 1e-3, 0.25)
        from tolerance in OptionGen.Tolerance
        select (new CrossEntropyFromProbabilitiesOptions
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            ClassWeights = which == 1 ? badWeights : weights,
            Clamp = which == 2 ? (ProbabilityClamp)(-1) : clamp,
            ClipEpsilon = which == 3 ? 0.5 : epsilon,
            TargetSumTolerance = which == 4 ? -1 : tolerance,
            PredictionSumTolerance = double.NaN, // the batches' prediction rows are any [0, 1] values, not distributions
            IgnoreIndex = b.IgnoreIndex,
        }, which switch
        {
            1 => nameof(CrossEntropyFromProbabilitiesOptions.ClassWeights),
            2 => nameof(CrossEntropyFromProbabilitiesOptions.Clamp),
            3 => nameof(CrossEntropyFromProbabilitiesOptions.ClipEpsilon),
            4 => nameof(CrossEntropyFromProbabilitiesOptions.TargetSumTolerance),
            _ => (string?)null,
        });
}

/// <summary><see cref="CrossEntropyFromProbabilities"/> with class-index targets.</summary>
internal sealed class ProbabilityCrossEntropyIndexSpec : LossSpec<CrossEntropyFromProbabilitiesOptions>
{
    public override string Name => "CrossEntropyFromProbabilitiesWithIndexTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Probabilities, TargetKind.Labels);

    public override Gen<(CrossEntropyFromProbabilitiesOptions Options, string? BadOption)> Options(Batch b) => ProbabilityCrossEntropyGen.Options(b);

    public override LossResult Evaluate<T>(Batch b, CrossEntropyFromProbabilitiesOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        CrossEntropyFromProbabilities.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override Units Units(Batch b, CrossEntropyFromProbabilitiesOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="CrossEntropyFromProbabilities"/> with probability targets.</summary>
internal sealed class ProbabilityCrossEntropySoftSpec : LossSpec<CrossEntropyFromProbabilitiesOptions>
{
    public override string Name => "CrossEntropyFromProbabilitiesWithProbabilityTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Probabilities, TargetKind.ProbabilityRows);

    public override Gen<(CrossEntropyFromProbabilitiesOptions Options, string? BadOption)> Options(Batch b) => ProbabilityCrossEntropyGen.Options(b);

    public override double Tolerance(CrossEntropyFromProbabilitiesOptions o) => o.TargetSumTolerance;

    public override LossResult Evaluate<T>(Batch b, CrossEntropyFromProbabilitiesOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        CrossEntropyFromProbabilities.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, CrossEntropyFromProbabilitiesOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="BrierScoreFromProbabilities"/> of probabilities with class-index targets.</summary>
internal sealed class BrierIndexSpec : LossSpec<BrierScoreFromProbabilitiesOptions>
{
    public override string Name => "BrierScoreWithIndexTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Probabilities, TargetKind.Labels);

    public override Gen<(BrierScoreFromProbabilitiesOptions Options, string? BadOption)> Options(Batch b) => BrierGen.Options<BrierScoreFromProbabilitiesOptions>(b);

    public override LossResult Evaluate<T>(Batch b, BrierScoreFromProbabilitiesOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        BrierScoreFromProbabilities.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override Units Units(Batch b, BrierScoreFromProbabilitiesOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="BrierScoreFromProbabilities"/> of probabilities with probability targets.</summary>
internal sealed class BrierSoftSpec : LossSpec<BrierScoreFromProbabilitiesOptions>
{
    public override string Name => "BrierScoreWithProbabilityTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Probabilities, TargetKind.ProbabilityRows);

    public override Gen<(BrierScoreFromProbabilitiesOptions Options, string? BadOption)> Options(Batch b) => BrierGen.Options<BrierScoreFromProbabilitiesOptions>(b);

    public override double Tolerance(BrierScoreFromProbabilitiesOptions o) => o.TargetSumTolerance;

    /// <summary>One column is the binary convention: the target is an outcome in [0, 1], not a row summing to 1.</summary>
    public override Violation? FirstViolation(Batch b, BrierScoreFromProbabilitiesOptions o)
    {
        if (b.K != 1)
        {
            return base.FirstViolation(b, o);
        }

        for (int at = 0; at < b.X.Length; at++)
        {
            if (!(b.X[at] >= 0 && b.X[at] <= 1))
            {
                return new Violation("input", FormattableString.Invariant($"input row {at}, column 0 is"));
            }
        }

        for (int at = 0; at < b.Targets.Length; at++)
        {
            if (!(b.Targets[at] >= 0 && b.Targets[at] <= 1))
            {
                return new Violation("targets", FormattableString.Invariant($"targets row {at}, column 0 is"));
            }
        }

        return null;
    }

    public override LossResult Evaluate<T>(Batch b, BrierScoreFromProbabilitiesOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        BrierScoreFromProbabilities.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, BrierScoreFromProbabilitiesOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="NegativeLogLikelihood"/> of log-probabilities (any floats: the input is not validated).</summary>
internal sealed class NegativeLogLikelihoodSpec : LossSpec<NegativeLogLikelihoodOptions>
{
    public override string Name => "NegativeLogLikelihood";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels);

    public override Gen<(NegativeLogLikelihoodOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 1)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from weights in OptionGen.Weights(b)
        from badWeights in OptionGen.BadWeights(Math.Max(1, b.K))
        select (new NegativeLogLikelihoodOptions
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            ClassWeights = which == 1 ? badWeights : weights,
            IgnoreIndex = b.IgnoreIndex,
        }, which == 1 ? nameof(NegativeLogLikelihoodOptions.ClassWeights) : (string?)null);

    public override LossResult Evaluate<T>(Batch b, NegativeLogLikelihoodOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        NegativeLogLikelihood.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override Units Units(Batch b, NegativeLogLikelihoodOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="WeightedKappa"/>: a batch statistic (no loss buffer), labels must be classes.</summary>
internal sealed class WeightedKappaSpec : LossSpec<WeightedKappaOptions>
{
    public override string Name => "WeightedKappa";

    public override BatchSpec Batch { get; } = new(InputKind.Probabilities, TargetKind.Labels, IgnorableLabels: false, Losses: LossBuffer.None);

    public override Gen<(WeightedKappaOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 2)
        from weighting in Gen.OneOf(KappaWeighting.Linear, KappaWeighting.Quadratic)
        from epsilon in Gen.OneOf(1e-6, 1e-6, 0.0, 1.0)
        from bad in OptionGen.BadNonNegative
        select (new WeightedKappaOptions
        {
            Weighting = which == 1 ? (KappaWeighting)5 : weighting,
            LogOffset = which == 2 ? bad : epsilon,
        }, which switch { 1 => nameof(WeightedKappaOptions.Weighting), 2 => nameof(WeightedKappaOptions.LogOffset), _ => (string?)null });

    public override LossResult Evaluate<T>(Batch b, WeightedKappaOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        WeightedKappa.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    // With ε = 0 a batch that predicts every label with certainty has R = 0: the documented loss log(R + ε) is log 0 = -∞,
    // and its gradient (W - R c / N) / (den (R + ε)) is 0/0 = NaN where W = 0 (TF Addons' autograd gives the same).
    public override string? NaNAllowed(Batch b, WeightedKappaOptions o, Outcome reference) =>
        o.LogOffset == 0 && double.IsNegativeInfinity(reference.Result.Value) ? "log(R + ε) at R = ε = 0" : null;

    // Row by row: the label, then that row's probabilities.
    public override Violation? FirstViolation(Batch b, WeightedKappaOptions o)
    {
        int k = b.K;
        for (int i = 0; i < b.N; i++)
        {
            if ((uint)b.Labels[i] >= (uint)k)
            {
                return new Violation("targets", Invariant($"targets[{i}] is {b.Labels[i]}"));
            }

            for (int c = 0; c < k; c++)
            {
                float p = b.X[(i * k) + c];
                if (!(p >= 0 && p <= 1))
                {
                    return new Violation("input", Invariant($"input row {i}, column {c} is"));
                }
            }
        }

        return null;
    }

    public override Units Units(Batch b, WeightedKappaOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="Entropy"/> (probability rows in).</summary>
internal sealed class EntropyOfProbabilitiesSpec : LossSpec<EntropyOptions>
{
    public override string Name => "EntropyOfProbabilities";

    public override BatchSpec Batch { get; } = new(InputKind.ProbabilityRows, TargetKind.None, HasGradient: false);

    public override Gen<(EntropyOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 1)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from tolerance in OptionGen.Tolerance
        select (new EntropyOptions { Reduction = reduction, WhenEmpty = whenEmpty, PredictionSumTolerance = which == 1 ? -1 : tolerance },
            which == 1 ? nameof(EntropyOptions.PredictionSumTolerance) : (string?)null);

    public override double Tolerance(EntropyOptions o) => o.PredictionSumTolerance;

    public override LossResult Evaluate<T>(Batch b, EntropyOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        Entropy.Evaluate(x, b.K, o, default, losses);

    public override Units Units(Batch b, EntropyOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}
