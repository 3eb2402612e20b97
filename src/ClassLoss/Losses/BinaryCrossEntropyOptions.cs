using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>
/// Options of <see cref="SigmoidBinaryCrossEntropy"/> and <see cref="BinaryCrossEntropy"/> (PyTorch's
/// <c>BCEWithLogitsLoss</c> / <c>BCELoss</c> semantics by default, with Keras's label smoothing as an option).
/// </summary>
public sealed record BinaryCrossEntropyOptions : LossOptions
{
    /// <summary>The defaults: no weights, no positive weights, no smoothing, log clamp at -100, mean over N·K elements.</summary>
    public static BinaryCrossEntropyOptions Default { get; } = new();

    private readonly double[]? _classWeights;
    private readonly double[]? _positiveWeights;

    /// <summary>
    /// Per-class (per-column) weights <c>w_k</c> (length K, finite, non-negative): PyTorch's <c>weight</c> of shape
    /// [K]. Null means all ones. Copied when set.
    /// </summary>
    public IReadOnlyList<double>? ClassWeights
    {
        get => _classWeights;
        init => _classWeights = value is null ? null : [.. value];
    }

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

    /// <summary>How <see cref="BinaryCrossEntropy"/> (probability input) keeps the log finite. Default PyTorch's clamp at -100.</summary>
    public ProbabilityClamp Clamp { get; init; } = ProbabilityClamp.LogAtMinus100;

    /// <summary>The ε of <see cref="ProbabilityClamp.KerasClip"/>, in (0, 0.5). Default 1e-7.</summary>
    public double Epsilon { get; init; } = 1e-7;

    internal ReadOnlySpan<double> WeightSpan => _classWeights;

    internal ReadOnlySpan<double> PositiveWeightSpan => _positiveWeights;

    internal override void Validate(int classes)
    {
        if (_classWeights is not null)
        {
            Guard.ClassWeights(_classWeights, classes, nameof(ClassWeights));
        }

        if (_positiveWeights is not null)
        {
            Guard.ClassWeights(_positiveWeights, classes, nameof(PositiveWeights));
        }

        Guard.Option(LabelSmoothing >= 0 && LabelSmoothing <= 1, nameof(LabelSmoothing), LabelSmoothing, "must lie in [0, 1]");
        Guard.Option(Epsilon >= 1e-300 && Epsilon < 0.5, nameof(Epsilon), Epsilon, "must lie in [1e-300, 0.5): it is a clip bound, and double.Epsilon (4.9e-324) is the smallest subnormal, not a clip (Keras and scikit-learn use 1e-7 and about 2.2e-16)");
        Guard.Option(Enum.IsDefined(Clamp), nameof(Clamp), (double)Clamp, "is not a known clamp");
    }
}
