using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>
/// What the two binary cross-entropies share (<see cref="SigmoidBinaryCrossEntropyOptions"/>,
/// <see cref="BinaryCrossEntropyFromProbabilitiesOptions"/>): per-column class weights (PyTorch's <c>weight</c> of
/// shape [K], <see cref="LossOptions.ClassWeights"/>), positive weights and Keras's label smoothing.
/// </summary>
/// <takes>Takes <see cref="LossOptions.ClassWeights"/>, one per column.</takes>
[Options(Takes = SharedOptions.ClassWeights)]
public abstract partial record BinaryCrossEntropyOptions : LossOptions
{
    private readonly double[]? _positiveWeights;

    /// <summary>
    /// Per-class positive weights <c>pw_k</c> (length K, finite, non-negative): PyTorch's <c>pos_weight</c>, which
    /// multiplies the positive term only. Typical value: negatives / positives of the class. Null means all ones.
    /// </summary>
    public IReadOnlyList<double>? PositiveWeights
    {
        get => _positiveWeights;
        init => _positiveWeights = value is null ? null : [.. value];
    }

    /// <summary>
    /// Label smoothing ε in [0, 1] toward 0.5: the target becomes <c>y (1 - ε) + 0.5 ε</c> (Keras's
    /// <c>BinaryCrossentropy(label_smoothing=ε)</c>). Default 0.
    /// </summary>
    public double LabelSmoothing { get; init; }

    internal ReadOnlySpan<double> PositiveWeightSpan => _positiveWeights;

    private protected override void Validate(int classes)
    {
        if (_positiveWeights is not null)
        {
            Guard.ClassWeights(_positiveWeights, classes, nameof(PositiveWeights));
        }

        Guard.Option(LabelSmoothing >= 0 && LabelSmoothing <= 1, nameof(LabelSmoothing), LabelSmoothing, "must lie in [0, 1]");
    }

    /// <summary>Keras averages an element-wise loss over the last axis before <c>sum_over_batch_size</c>: the element mean.</summary>
    private protected override Reduction ConventionReduction(Convention convention) =>
        convention == Convention.Keras ? Reduction.Mean : base.ConventionReduction(convention);
}

/// <summary>Options of <see cref="SigmoidBinaryCrossEntropy"/> (PyTorch's <c>BCEWithLogitsLoss</c> semantics by default,
/// with Keras's label smoothing as an option).</summary>
/// <defaults>The defaults: no weights, no positive weights, no smoothing, mean over N·K elements.</defaults>
[Options]
public sealed partial record SigmoidBinaryCrossEntropyOptions : BinaryCrossEntropyOptions;

/// <summary>Options of <see cref="BinaryCrossEntropyFromProbabilities"/> (PyTorch's <c>BCELoss</c> semantics by default:
/// the log clamped at -100).</summary>
/// <defaults>The defaults: no weights, no smoothing, log clamp at -100, mean over N·K elements.</defaults>
[Options(Clamped = true)]
public sealed partial record BinaryCrossEntropyFromProbabilitiesOptions : BinaryCrossEntropyOptions
{
    /// <summary>How the log is kept finite. Default PyTorch's clamp at -100.</summary>
    public ProbabilityClamp Clamp { get; init; } = ProbabilityClamp.LogAtMinus100;

    /// <summary>The clip bound ε of <see cref="ProbabilityClamp.Keras"/> (probabilities clipped to [ε, 1 - ε]), in
    /// [1e-300, 0.5). Default 1e-7 (Keras).</summary>
    public double ClipEpsilon { get; init; } = 1e-7;

    private protected override void Validate(int classes)
    {
        base.Validate(classes);
        ClampedLog.CheckOptions(Clamp, ClipEpsilon);
    }

    /// <summary>PyTorch's log clamp, Keras's clip at 1e-7, Optax's unclamped log.</summary>
    private protected override LossOptions WithLossConvention(Convention convention) =>
        WithConventionClamp(convention);
}
