using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of the softmax cross-entropy family (PyTorch's <c>CrossEntropyLoss</c> semantics by default).</summary>
/// <defaults>The defaults: no weights, ignore index -100, no smoothing, temperature 1, mean reduction.</defaults>
[Options(Takes = SharedOptions.ClassWeights | SharedOptions.IgnoreIndex | SharedOptions.TargetSumTolerance)]
public sealed partial record SoftmaxCrossEntropyOptions : LossOptions
{
    /// <summary>
    /// Label smoothing ε in [0, 1]: the target becomes <c>(1 - ε) y + ε / K</c> (PyTorch's and Keras's definition).
    /// </summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Softmax temperature τ &gt; 0: probabilities are <c>softmax(z / τ)</c>; τ &lt; 1 sharpens, τ &gt; 1 flattens.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>The unit of the loss, its losses and its gradient: <see cref="InformationUnit.Nats"/> (default) or
    /// <see cref="InformationUnit.Bits"/> (everything divided by ln 2).</summary>
    public InformationUnit Units { get; init; }

    internal override double OutputScale => InformationUnits.PerNat(Units);

    private protected override void Validate(int classes)
    {
        Guard.Option(LabelSmoothing >= 0 && LabelSmoothing <= 1, nameof(LabelSmoothing), LabelSmoothing, "must lie in [0, 1]");
        Guard.Option(Temperature > 0 && double.IsFinite(Temperature), nameof(Temperature), Temperature, "must be finite and > 0");
        InformationUnits.PerNat(Units);
    }
}
