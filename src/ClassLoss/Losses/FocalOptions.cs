using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>
/// What the two categorical focal losses share (<see cref="SoftmaxFocalOptions"/>, from logits, and
/// <see cref="FocalFromProbabilitiesOptions"/>, from probabilities; Keras's <c>CategoricalFocalCrossentropy</c> with
/// <c>from_logits</c> true or false): γ, α per class or for all, label smoothing, and the ignore index and target-sum
/// tolerance of <see cref="LossOptions"/>.
/// </summary>
[Options(Takes = SharedOptions.IgnoreIndex | SharedOptions.TargetSumTolerance)]
public abstract partial record FocalOptions : LossOptions
{
    private readonly double[]? _classAlpha;

    /// <summary>Focusing parameter γ ≥ 0 (default 2, Keras). γ = 0 gives α-weighted cross-entropy.</summary>
    public double Gamma { get; init; } = 2.0;

    /// <summary>The α every class gets when <see cref="ClassAlpha"/> is null: finite, ≥ 0. Default 0.25 (Keras).</summary>
    public double Alpha { get; init; } = 0.25;

    /// <summary>Per-class α_c (length K, finite, ≥ 0); replaces <see cref="Alpha"/> when set. Copied when set.</summary>
    public IReadOnlyList<double>? ClassAlpha
    {
        get => _classAlpha;
        init => _classAlpha = value is null ? null : [.. value];
    }

    /// <summary>Keras's <c>CategoricalFocalCrossentropy(label_smoothing=ε)</c>: the targets (one-hot or soft) become
    /// <c>(1 - ε) y + ε / K</c> before the focal terms. In [0, 1); default 0.</summary>
    public double LabelSmoothing { get; init; }

    internal ReadOnlySpan<double> ClassAlphaSpan => _classAlpha;

    private protected override void Validate(int classes)
    {
        if (_classAlpha is not null)
        {
            Guard.ClassWeights(_classAlpha, classes, nameof(ClassAlpha));
        }

        Guard.Option(Gamma >= 0 && double.IsFinite(Gamma), nameof(Gamma), Gamma, "must be finite and >= 0");
        Guard.Option(Alpha >= 0 && double.IsFinite(Alpha), nameof(Alpha), Alpha, "must be finite and >= 0");
        Guard.Option(LabelSmoothing >= 0 && LabelSmoothing < 1, nameof(LabelSmoothing), LabelSmoothing, "must lie in [0, 1)");
    }
}
