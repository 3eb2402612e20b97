using ClassLoss.Losses;

namespace ClassLoss.Training;

/// <summary>
/// <see cref="ILogitLoss"/> adapter over <see cref="SoftmaxCrossEntropy"/> (class indices or probability targets)
/// with fixed <see cref="CrossEntropyOptions"/>. Restates no formula: it only forwards to the kernel.
/// </summary>
/// <param name="name">The specification that created it.</param>
/// <param name="options">Weights, smoothing, temperature, reduction.</param>
public sealed class CrossEntropyLoss(string name, CrossEntropyOptions options) : ILogitLoss
{
    /// <inheritdoc/>
    public string Name => name;

    /// <summary>The kernel options.</summary>
    public CrossEntropyOptions Options => options;

    /// <inheritdoc/>
    public LossResult Evaluate(ReadOnlySpan<float> logits, LossTargets targets, int classes, Span<float> gradient, Span<float> rowLosses)
        => targets.HasLabels
            ? SoftmaxCrossEntropy.Evaluate(logits, targets.Labels, classes, options, gradient, rowLosses)
            : SoftmaxCrossEntropy.Evaluate(logits, targets.Probabilities, classes, options, gradient, rowLosses);
}
