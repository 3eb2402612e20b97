using ClassLoss.Losses;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

/// <summary><see cref="SigmoidFocal"/> (the fused float kernel for every option with valid targets).</summary>
internal sealed class SigmoidFocalSpec : LossSpec<SigmoidFocalOptions>
{
    public override string Name => "SigmoidFocal";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets);

    public override Gen<(SigmoidFocalOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 2)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from gamma in Gen.OneOf(2.0, 2.0, 0.0, 1.0, 0.5, 1.5, 3.0, 0.25)
        from alpha in Gen.OneOf(0.25, 0.25, 0.0, 1.0, 0.75)
        from balancing in Gen.Frequency((3, Gen.Const(true)), (1, Gen.Const(false)))
        from bad in OptionGen.BadNonNegative
        from badAlpha in Gen.OneOf(1.5, -0.5, -1.0, double.NaN, double.PositiveInfinity)
        select (new SigmoidFocalOptions
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            Gamma = which == 1 ? bad : gamma,
            Alpha = which == 2 ? badAlpha : alpha,
            ApplyClassBalancing = balancing,
        }, which switch { 1 => nameof(SigmoidFocalOptions.Gamma), 2 => nameof(SigmoidFocalOptions.Alpha), _ => (string?)null });

    public override LossResult Evaluate<T>(Batch b, SigmoidFocalOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SigmoidFocal.Evaluate(x, targets, b.K, o, gradient, losses);

    // An element's terms: α_t (its loss is α_t m^γ ce, the gradient α_t (γ m^(γ-1) m' ce + m^γ (p - t)), both parts of
    // size up to about (1 + γ) α_t).
    public override Units Units(Batch b, SigmoidFocalOptions o, Outcome reference)
    {
        bool useAlpha = o.ApplyClassBalancing;
        double s = Factor(o, reference.Result.Denominator, b.N);
        var element = new double[b.Targets.Length];
        var grad = new double[b.Targets.Length];
        for (int j = 0; j < element.Length; j++)
        {
            double t = b.Targets[j];
            element[j] = useAlpha ? (o.Alpha * t) + ((1 - o.Alpha) * (1 - t)) : 1.0;
            grad[j] = element[j] * (1 + o.Gamma) * Math.Abs(s);
        }

        return Fuzz.Units.PerElement(b, element, grad, s);
    }
}

/// <summary>Options of the binary cross-entropies.</summary>
internal static class BinaryCrossEntropyGen
{
    /// <summary>The logit form's options: the shared ones of <see cref="Options(Batch, bool)"/>.</summary>
    public static Gen<(SigmoidBinaryCrossEntropyOptions, string?)> SigmoidOptions(Batch b) =>
        from t in Options(b, probabilities: false)
        select (new SigmoidBinaryCrossEntropyOptions
        {
            Reduction = t.Item1.Reduction,
            WhenEmpty = t.Item1.WhenEmpty,
            ClassWeights = t.Item1.ClassWeights,
            PositiveWeights = t.Item1.PositiveWeights,
            LabelSmoothing = t.Item1.LabelSmoothing,
        }, t.Item2);

    public static Gen<(BinaryCrossEntropyFromProbabilitiesOptions, string?)> Options(Batch b, bool probabilities = true) =>
        from which in OptionGen.Which(b, probabilities ? 5 : 3)
        from plain in Gen.Bool // half the cases take the defaults (the fused path of the logit form)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from weights in OptionGen.Weights(b)
        from positive in OptionGen.Weights(b)
        from badWeights in OptionGen.BadWeights(Math.Max(1, b.K))
        from smoothing in Gen.OneOf(0.0, 0.1, 1.0, 1e-7)
        from clamp in Gen.OneOf(ProbabilityClamp.LogAtMinus100, ProbabilityClamp.KerasClip, ProbabilityClamp.None)
        from epsilon in Gen.OneOf(1e-7, 1e-3, 0.25)
        from badEpsilon in Gen.OneOf(0.0, 0.5, -1e-7, double.NaN)
        select (new BinaryCrossEntropyFromProbabilitiesOptions
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            ClassWeights = which == 1 ? badWeights : plain ? null : weights,
            PositiveWeights = which == 2 ? badWeights : plain ? null : positive,
            LabelSmoothing = which == 3 ? 1.5 : plain ? 0 : smoothing,
            Clamp = which == 4 ? (ProbabilityClamp)9 : clamp,
            ClipEpsilon = which == 5 ? badEpsilon : epsilon,
        }, which switch
        {
            1 => nameof(BinaryCrossEntropyOptions.ClassWeights),
            2 => nameof(BinaryCrossEntropyOptions.PositiveWeights),
            3 => nameof(BinaryCrossEntropyOptions.LabelSmoothing),
            4 => nameof(BinaryCrossEntropyFromProbabilitiesOptions.Clamp),
            5 => nameof(BinaryCrossEntropyFromProbabilitiesOptions.ClipEpsilon),
            _ => (string?)null,
        });

    // An element's terms: w (pw y' + (1 - y')), its weight times its target mass (loss w [pw y' sp(-x) + (1 - y') sp(x)],
    // gradient w [(1 - y') σ - pw y' (1 - σ)]).
    public static Units Units(Batch b, BinaryCrossEntropyOptions o, double s)
    {
        int k = b.K;
        var element = new double[b.Targets.Length];
        var grad = new double[b.Targets.Length];
        for (int j = 0; j < element.Length; j++)
        {
            double w = (o.ClassWeights?[j % k] ?? 1.0) * (b.ElementWeights.Length == 0 ? 1.0 : b.ElementWeights[j]);
            double pw = o.PositiveWeights?[j % k] ?? 1.0;
            double y = (b.Targets[j] * (1 - o.LabelSmoothing)) + (0.5 * o.LabelSmoothing);
            element[j] = w * ((pw * y) + (1 - y));
            grad[j] = element[j] * Math.Abs(s);
        }

        return Fuzz.Units.PerElement(b, element, grad, s);
    }
}

/// <summary><see cref="SigmoidBinaryCrossEntropy"/> (the fused kernel for every option: its default form, and its weighted
/// form for class and positive weights, smoothing, element weights and the losses buffer; the generic kernel for class or
/// positive weights that are not 0 or a normal float), with or without per-element weights.</summary>
internal sealed class SigmoidBinaryCrossEntropySpec(bool elementWeights) : LossSpec<SigmoidBinaryCrossEntropyOptions>
{
    public override string Name => elementWeights ? "SigmoidBinaryCrossEntropyWithElementWeights" : "SigmoidBinaryCrossEntropy";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets, Losses: LossBuffer.RowsOrElements,
        ElementWeights: elementWeights, LossesPercent: elementWeights ? 67 : 30);

    public override Gen<(SigmoidBinaryCrossEntropyOptions Options, string? BadOption)> Options(Batch b) => BinaryCrossEntropyGen.SigmoidOptions(b);

    // Element weights are N·K sample weights; PyTorch's weight= mean (over N·K elements) is WeightedMean.BatchSize.
    public override LossResult Evaluate<T>(Batch b, SigmoidBinaryCrossEntropyOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        elementWeights
            ? SigmoidBinaryCrossEntropy.Evaluate(x, targets, b.K, o with { WeightedMean = SampleWeightedMean.BatchSize }, gradient, losses, sampleWeights: weights)
            : SigmoidBinaryCrossEntropy.Evaluate(x, targets, b.K, o, gradient, losses);

    public override bool HasDoubleSimd => true;

    public override LossResult EvaluateGenericDouble(Batch b, SigmoidBinaryCrossEntropyOptions o, ReadOnlySpan<double> x, ReadOnlySpan<double> targets,
        ReadOnlySpan<double> weights, Span<double> gradient, Span<double> losses) =>
        elementWeights
            ? SigmoidBinaryCrossEntropy.EvaluateGeneric(x, targets, b.K, o with { WeightedMean = SampleWeightedMean.BatchSize }, gradient, losses, sampleWeights: weights)
            : SigmoidBinaryCrossEntropy.EvaluateGeneric(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, SigmoidBinaryCrossEntropyOptions o, Outcome reference) =>
        BinaryCrossEntropyGen.Units(b, o, Factor(o, reference.Result.Denominator, b.N));
}

/// <summary><see cref="BinaryCrossEntropyFromProbabilities"/> of probabilities (generic in both types), with or without element weights.</summary>
internal sealed class BinaryCrossEntropySpec(bool elementWeights) : LossSpec<BinaryCrossEntropyFromProbabilitiesOptions>
{
    public override string Name => elementWeights ? "BinaryCrossEntropyWithElementWeights" : "BinaryCrossEntropyFromProbabilities";

    public override BatchSpec Batch { get; } = new(InputKind.Probabilities, TargetKind.ElementTargets, Losses: LossBuffer.RowsOrElements,
        ElementWeights: elementWeights);

    public override Gen<(BinaryCrossEntropyFromProbabilitiesOptions Options, string? BadOption)> Options(Batch b) => BinaryCrossEntropyGen.Options(b);

    public override LossResult Evaluate<T>(Batch b, BinaryCrossEntropyFromProbabilitiesOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        elementWeights
            ? BinaryCrossEntropyFromProbabilities.Evaluate(x, targets, b.K, o with { WeightedMean = SampleWeightedMean.BatchSize }, gradient, losses, sampleWeights: weights)
            : BinaryCrossEntropyFromProbabilities.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, BinaryCrossEntropyFromProbabilitiesOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="BinaryFocalFromProbabilities"/> of probabilities (generic in both types), with row or element sample weights.</summary>
internal sealed class BinaryFocalFromProbabilitiesSpec : LossSpec<BinaryFocalFromProbabilitiesOptions>
{
    public override string Name => "BinaryFocalFromProbabilities";

    public override BatchSpec Batch { get; } = new(InputKind.Probabilities, TargetKind.ElementTargets, Losses: LossBuffer.RowsOrElements,
        ElementWeights: true);

    public override Gen<(BinaryFocalFromProbabilitiesOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 4)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from mean in Gen.OneOf(SampleWeightedMean.WeightSum, SampleWeightedMean.BatchSize)
        from gamma in Gen.OneOf(2.0, 0.0, 1.0, 0.5, 3.0)
        from alpha in Gen.OneOf(0.25, 0.0, 1.0, 0.6)
        from balancing in Gen.Bool
        from smoothing in Gen.OneOf(0.0, 0.0, 0.1, 1.0)
        from clamp in Gen.OneOf(ProbabilityClamp.KerasClip, ProbabilityClamp.LogAtMinus100, ProbabilityClamp.None)
        from bad in OptionGen.BadNonNegative
        select (new BinaryFocalFromProbabilitiesOptions
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            WeightedMean = mean,
            Gamma = which == 1 ? bad : gamma,
            Alpha = which == 2 ? 1.5 : alpha,
            ApplyClassBalancing = balancing,
            LabelSmoothing = which == 3 ? -0.5 : smoothing,
            ClipEpsilon = which == 4 ? 0.5 : 1e-7,
            Clamp = clamp,
        }, which switch
        {
            1 => nameof(BinaryFocalFromProbabilitiesOptions.Gamma),
            2 => nameof(BinaryFocalFromProbabilitiesOptions.Alpha),
            3 => nameof(BinaryFocalFromProbabilitiesOptions.LabelSmoothing),
            4 => nameof(BinaryFocalFromProbabilitiesOptions.ClipEpsilon),
            _ => (string?)null,
        });

    // The generated weights are N·K element weights: the sample-weight path of an element-wise loss.
    public override LossResult Evaluate<T>(Batch b, BinaryFocalFromProbabilitiesOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        BinaryFocalFromProbabilities.Evaluate(x, targets, b.K, o, gradient, losses, sampleWeights: weights);

    // BatchMean over N·K weights that are all 0 is 0/0 too (found with CLASSLOSS_FUZZ_SEED=0x5eed11 at 10x the budget).
    public override string? NaNAllowed(Batch b, BinaryFocalFromProbabilitiesOptions o, Outcome reference) => SampleWeightGen.NaNAllowed(o, reference);

    public override Units Units(Batch b, BinaryFocalFromProbabilitiesOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="SigmoidBrierScore"/> (generic in both types).</summary>
internal sealed class SigmoidBrierSpec : LossSpec<SigmoidBrierScoreOptions>
{
    public override string Name => "SigmoidBrierScore";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets);

    public override Gen<(SigmoidBrierScoreOptions Options, string? BadOption)> Options(Batch b) => BrierGen.Options<SigmoidBrierScoreOptions>(b, elementTargets: true);

    public override LossResult Evaluate<T>(Batch b, SigmoidBrierScoreOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SigmoidBrierScore.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, SigmoidBrierScoreOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="KlDivergence"/> with probability or log-probability targets (generic in both types).</summary>
internal sealed class KlDivergenceSpec : LossSpec<KlDivergenceOptions>
{
    public override string Name => "KlDivergence";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets, Losses: LossBuffer.RowsOrElements);

    public override Gen<(KlDivergenceOptions Options, string? BadOption)> Options(Batch b) =>
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from logTarget in Gen.Bool
        select (new KlDivergenceOptions { Reduction = reduction, WhenEmpty = whenEmpty, LogTarget = logTarget }, (string?)null);

    // Log targets are the logs of the generated targets: a target is valid (≤ 0, not NaN) exactly when the generated one
    // was in [0, 1], so the documented checks reject the same entries.
    public override float[] TargetsFor(Batch b, KlDivergenceOptions o) => o.LogTarget ? Array.ConvertAll(b.Targets, MathF.Log) : b.Targets;

    public override LossResult Evaluate<T>(Batch b, KlDivergenceOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        KlDivergence.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, KlDivergenceOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}
