namespace ClassLoss.Losses;

/// <summary>
/// The targets of one batch: either N class indices or an [N, K] matrix of probabilities (soft labels, or
/// multi-hot rows for multi-label losses). Exactly one of the two is non-empty.
/// </summary>
public readonly ref struct LossTargets
{
    private LossTargets(ReadOnlySpan<int> labels, ReadOnlySpan<float> probabilities)
    {
        Labels = labels;
        Probabilities = probabilities;
    }

    /// <summary>N class indices (empty when the targets are probabilities).</summary>
    public ReadOnlySpan<int> Labels { get; }

    /// <summary>Row-major [N, K] target probabilities or multi-hot rows (empty when the targets are indices).</summary>
    public ReadOnlySpan<float> Probabilities { get; }

    /// <summary>True when the targets are class indices.</summary>
    public bool HasLabels => !Labels.IsEmpty;

    /// <summary>Targets given as class indices.</summary>
    public static LossTargets FromLabels(ReadOnlySpan<int> labels) => new(labels, default);

    /// <summary>Targets given as an [N, K] matrix of probabilities.</summary>
    public static LossTargets FromProbabilities(ReadOnlySpan<float> probabilities) => new(default, probabilities);
}

/// <summary>
/// A configured loss over logits: the thin typed layer the trainer and the CLI use on top of the span kernels.
/// Implementations call the kernels and restate no formula.
/// </summary>
public interface ILogitLoss
{
    /// <summary>A short name with its options, e.g. <c>ce:smoothing=0.1</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Evaluates the loss of [N, K] <paramref name="logits"/> and writes ∂(reduced loss)/∂logits into
    /// <paramref name="gradient"/> (overwritten; empty to skip) and per-row losses into <paramref name="rowLosses"/>
    /// (empty to skip).
    /// </summary>
    LossResult Evaluate(ReadOnlySpan<float> logits, LossTargets targets, int classes, Span<float> gradient, Span<float> rowLosses);
}
