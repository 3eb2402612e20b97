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

/// <summary><see cref="NegativeLogLikelihood"/> with N sample weights (<see cref="SampleWeightGen.Rows"/>) combined with
/// class weights and ignored rows; the mean divides by the counted weight Σ s_i w_{y_i} (PyTorch's composition).</summary>
internal sealed class WeightedNegativeLogLikelihoodSpec : LossSpec<NegativeLogLikelihoodOptions>
{
    private readonly NegativeLogLikelihoodSpec _plain = new();

    public override string Name => "NegativeLogLikelihoodWithSampleWeights";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels, ElementWeights: true);

    // Class weights 0 or in [1e-3, 1]: a row loss -w_y x_y then neither overflows nor underflows float (its T-rounded
    // value is what the driver weights; see SampleWeightGen).
    public override Gen<(NegativeLogLikelihoodOptions Options, string? BadOption)> Options(Batch b) =>
        _plain.Options(b).Select(t => (t.BadOption is null && t.Options.ClassWeights is { } w
            ? t.Options with { ClassWeights = [.. w.Select(v => SampleWeightGen.Within(v, 1e-3, 1.0))] }
            : t.Options, t.BadOption));

    public override string? NaNAllowed(Batch b, NegativeLogLikelihoodOptions o, Outcome reference) => SampleWeightGen.NaNAllowed(o, reference);

    public override LossResult Evaluate<T>(Batch b, NegativeLogLikelihoodOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        NegativeLogLikelihood.Evaluate(x, b.Labels, b.K, o, gradient, losses, SampleWeightGen.Rows(weights, b.N));


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

/// <summary>Options of <see cref="FocalFromProbabilities"/>: γ (with the special cases 0, 1, 2 and fractions), α or
/// per-class α, Keras's label smoothing, each clamp, the target tolerance.</summary>
internal static class FocalFromProbabilitiesGen
{
    public static Gen<(FocalFromProbabilitiesOptions, string?)> Options(Batch b) =>
        from which in OptionGen.Which(b, 5)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from gamma in Gen.OneOf(2.0, 2.0, 0.0, 1.0, 0.5, 1.5, 3.0)
        from alpha in Gen.OneOf(0.25, 0.25, 1.0, 0.0, 4.0)
        from classAlpha in OptionGen.Weights(b)
        from smoothing in Gen.OneOf(0.0, 0.0, 0.1, 1e-7, 0.9)
        from clamp in Gen.OneOf(ProbabilityClamp.KerasClip, ProbabilityClamp.LogAtMinus100, ProbabilityClamp.None)
        from epsilon in Gen.OneOf(1e-7, 1e-3, 0.25)
        from tolerance in OptionGen.Tolerance
        from bad in OptionGen.BadNonNegative
        select (new FocalFromProbabilitiesOptions
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            Gamma = which == 1 ? bad : gamma,
            Alpha = which == 2 ? bad : alpha,
            ClassAlpha = classAlpha,
            LabelSmoothing = which == 3 ? 1.0 : smoothing,
            Clamp = clamp,
            ClipEpsilon = which == 4 ? 0.5 : epsilon,
            TargetSumTolerance = which == 5 ? -1 : tolerance,
            PredictionSumTolerance = double.NaN, // the batches' prediction rows are any [0, 1] values, not distributions
            IgnoreIndex = b.IgnoreIndex,
        }, which switch
        {
            1 => nameof(FocalFromProbabilitiesOptions.Gamma),
            2 => nameof(FocalFromProbabilitiesOptions.Alpha),
            3 => nameof(FocalFromProbabilitiesOptions.LabelSmoothing),
            4 => nameof(FocalFromProbabilitiesOptions.ClipEpsilon),
            5 => nameof(FocalFromProbabilitiesOptions.TargetSumTolerance),
            _ => (string?)null,
        });
}

/// <summary><see cref="FocalFromProbabilities"/> with class-index targets (generic in both types), with N sample weights
/// (<see cref="SampleWeightGen.Rows"/>) in about half the cases; per-class α 0 or in [1e-3, 1e30] so that a row loss
/// stays within float (the driver weights the T-rounded row losses).</summary>
internal sealed class FocalFromProbabilitiesIndexSpec : LossSpec<FocalFromProbabilitiesOptions>
{
    public override string Name => "FocalFromProbabilitiesWithIndexTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Probabilities, TargetKind.Labels, ElementWeights: true);

    public override Gen<(FocalFromProbabilitiesOptions Options, string? BadOption)> Options(Batch b) =>
        FocalFromProbabilitiesGen.Options(b).Select(t => (t.Item2 is null && t.Item1.ClassAlpha is { } a
            ? t.Item1 with { ClassAlpha = [.. a.Select(v => SampleWeightGen.Within(v, 1e-3, 1e30))] }
            : t.Item1, t.Item2));

    public override string? NaNAllowed(Batch b, FocalFromProbabilitiesOptions o, Outcome reference) => SampleWeightGen.NaNAllowed(o, reference);

    public override LossResult Evaluate<T>(Batch b, FocalFromProbabilitiesOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        FocalFromProbabilities.Evaluate(x, b.Labels, b.K, o, gradient, losses, SampleWeightGen.Rows(weights, b.N));

    public override Units Units(Batch b, FocalFromProbabilitiesOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="FocalFromProbabilities"/> with probability targets (generic in both types).</summary>
internal sealed class FocalFromProbabilitiesSoftSpec : LossSpec<FocalFromProbabilitiesOptions>
{
    public override string Name => "FocalFromProbabilitiesWithProbabilityTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Probabilities, TargetKind.ProbabilityRows);

    public override Gen<(FocalFromProbabilitiesOptions Options, string? BadOption)> Options(Batch b) => FocalFromProbabilitiesGen.Options(b);

    public override double Tolerance(FocalFromProbabilitiesOptions o) => o.TargetSumTolerance;

    public override LossResult Evaluate<T>(Batch b, FocalFromProbabilitiesOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        FocalFromProbabilities.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, FocalFromProbabilitiesOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary>Row sample weights for the specs that take them.</summary>
internal static class SampleWeightGen
{
    /// <summary><paramref name="v"/> if 0, else clamped into [<paramref name="low"/>, <paramref name="high"/>].</summary>
    public static double Within(double v, double low, double high) => v == 0 ? 0 : Math.Clamp(v, low, high);

    /// <summary>The documented NaN of a weighted mean (Mean or BatchMean) over zero total weight with <see cref="EmptyMean.NaN"/>.</summary>
    public static string? NaNAllowed(LossOptions o, Outcome reference) =>
        o.Reduction is Reduction.Mean or Reduction.BatchMean && o.WhenEmpty == EmptyMean.NaN && reference.Result.Denominator == 0
            ? "EmptyMean.NaN: the weighted mean over zero total weight is 0/0" : null;

    /// <summary>The first <paramref name="n"/> of the batch's generated weights (zeros, subnormals and 1e30 among them),
    /// each 0 or clamped into [1, 1000]; empty when there are none. The driver weights the kernel's T-rounded gradient
    /// and row losses (LossDriver.RunWeighted), so a weight below 1 could bring a double result back into float range
    /// where the float path's unweighted entry had already overflowed, and a tiny weight sum could make the unweighted
    /// entry overflow: a documented limit of the float path, not of the losses.</summary>
    public static T[] Rows<T>(ReadOnlySpan<T> weights, int n) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (weights.IsEmpty)
        {
            return [];
        }

        var s = new T[Math.Min(n, weights.Length)];
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = weights[i] == T.Zero ? T.Zero : T.Clamp(weights[i], T.One, T.CreateTruncating(1000));
        }

        return s;
    }
}
