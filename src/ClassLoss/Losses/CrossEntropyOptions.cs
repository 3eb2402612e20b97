using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of the softmax cross-entropy family (PyTorch's <c>CrossEntropyLoss</c> semantics by default).</summary>
public sealed record CrossEntropyOptions : ClassWeightedOptions
{
    /// <summary>The defaults: no weights, ignore index -100, no smoothing, temperature 1, mean reduction.</summary>
    public static CrossEntropyOptions Default { get; } = new();

    /// <summary>
    /// Label smoothing ε in [0, 1]: the target becomes <c>(1 - ε) y + ε / K</c> (PyTorch's and Keras's definition).
    /// </summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Softmax temperature τ &gt; 0: probabilities are <c>softmax(z / τ)</c>; τ &lt; 1 sharpens, τ &gt; 1 flattens.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>
    /// How far a row of probability targets may sum from 1 before it is rejected (default 1e-4, loose enough for
    /// float32 targets). <see cref="double.NaN"/> skips the sum check; values are still checked to lie in [0, 1].
    /// </summary>
    public double TargetSumTolerance { get; init; } = 1e-4;

    /// <summary>The unit of the loss, its losses and its gradient: <see cref="InformationUnit.Nats"/> (default) or
    /// <see cref="InformationUnit.Bits"/> (everything divided by ln 2).</summary>
    public InformationUnit Units { get; init; }

    internal override double OutputScale => InformationUnits.PerNat(Units);

    internal override void Validate(int classes)
    {
        base.Validate(classes);
        Guard.Option(LabelSmoothing >= 0 && LabelSmoothing <= 1, nameof(LabelSmoothing), LabelSmoothing, "must lie in [0, 1]");
        Guard.Option(Temperature > 0 && double.IsFinite(Temperature), nameof(Temperature), Temperature, "must be finite and > 0");
        Guard.Option(double.IsNaN(TargetSumTolerance) || TargetSumTolerance >= 0, nameof(TargetSumTolerance), TargetSumTolerance, "must be >= 0 or NaN");
        InformationUnits.PerNat(Units);
    }
}
