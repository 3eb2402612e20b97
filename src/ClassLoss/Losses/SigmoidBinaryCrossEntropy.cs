using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>
/// Binary cross-entropy of <c>σ(x)</c> computed from logits, element-wise over [N, K] (binary when K = 1,
/// multi-label otherwise): PyTorch's <c>BCEWithLogitsLoss</c>, Keras's <c>BinaryCrossentropy(from_logits=True)</c>,
/// Optax's <c>sigmoid_binary_cross_entropy</c>.
/// </summary>
/// <remarks>
/// <para>Per element, with the smoothed target <c>y' = y (1 - ε) + ε / 2</c> (Keras), positive weight
/// <c>pw_k</c> and weight <c>w = w_k · e_{ik}</c> (class weight times optional element weight):
/// <c>ℓ = w [pw y' softplus(-x) + (1 - y') softplus(x)]</c> = <c>-w [pw y' log σ(x) + (1 - y') log(1 - σ(x))]</c>.
/// With <c>pw = 1</c> this is the stable <c>max(x, 0) - x y' + log1p(exp(-|x|))</c>; <c>σ</c> is never logged.</para>
/// <para>Gradient: <c>∂ℓ/∂x = w [(1 - y') σ(x) - pw y' (1 - σ(x))]</c>, which is <c>w (σ(x) - y')</c> for
/// <c>pw = 1</c>.</para>
/// <para>Reductions (PyTorch): Mean divides the sum by N·K (weights do not enter the denominator), BatchMean by N,
/// Sum and None leave it. The loss buffer takes either N row sums or N·K element losses (PyTorch's
/// <c>reduction='none'</c>). Targets must be in [0, 1]; a NaN logit propagates to its own element.</para>
/// </remarks>
public static class SigmoidBinaryCrossEntropy
{
    /// <summary>Binary cross-entropy from [N, K] logits against [N, K] targets in [0, 1].</summary>
    /// <param name="logits">Row-major [N, K] logits x.</param>
    /// <param name="targets">Row-major [N, K] targets y in [0, 1] (0/1 labels, multi-hot rows or soft targets).</param>
    /// <param name="classes">K (1 for a single binary output).</param>
    /// <param name="options">Class and positive weights, smoothing, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂x (overwritten); empty to skip.</param>
    /// <param name="losses">N row sums or N·K element losses (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none: each row's loss and gradient are
    /// multiplied by its weight; the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes,
        BinaryCrossEntropyOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Evaluate(logits, targets, default, classes, options, gradient, losses, sampleWeights, gradOutput);

    /// <summary>Binary cross-entropy from logits with an additional per-element weight (PyTorch's <c>weight</c> of shape [N, K]).</summary>
    /// <param name="logits">Row-major [N, K] logits x.</param>
    /// <param name="targets">Row-major [N, K] targets y in [0, 1].</param>
    /// <param name="elementWeights">Row-major [N, K] finite non-negative weights; empty for none.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Class and positive weights, smoothing, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂x (overwritten); empty to skip.</param>
    /// <param name="losses">N row sums or N·K element losses (overwritten); empty to skip.</param>
    /// <exception cref="ArgumentException">A shape mismatch, or a target outside [0, 1] or NaN (the message names its row
    /// and column). The fused float path checks targets in the same pass as it computes, so when it throws for a bad
    /// target the gradient buffer may already be partly written.</exception>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none: each row's loss and gradient are
    /// multiplied by its weight; the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, ReadOnlySpan<T> elementWeights, int classes,
        BinaryCrossEntropyOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.Run(new Kernel<T>(), Batch.Targets(logits, targets, classes, gradient, losses, LossesShape.RowsOrElements,
            nameof(logits), elementWeights, nameof(losses)).WithWeights(sampleWeights, gradOutput), options ?? BinaryCrossEntropyOptions.Default);

    /// <summary>Checks element targets (rows <paramref name="from"/> on) in [0, 1] and element weights finite and non-negative.</summary>
    internal static void CheckTargetsAndWeights<T>(ReadOnlySpan<T> targets, ReadOnlySpan<T> elementWeights, int classes, int from = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.UnitIntervals(targets, classes, from, nameof(targets));
        for (int at = 0; at < elementWeights.Length; at++)
        {
            double v = double.CreateTruncating(elementWeights[at]);
            if (!(v >= 0 && double.IsFinite(v)))
            {
                throw new ArgumentException(
                    FormattableString.Invariant($"elementWeights row {at / classes}, column {at % classes} is {v}; a weight must be finite and non-negative."), nameof(elementWeights));
            }
        }
    }

    /// <summary>Every option on the generic path; the fused path covers the defaults; the mean divides by N·K.</summary>
    private readonly struct Kernel<T> : ILossKernel<T, T, BinaryCrossEntropyOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static bool ElementsIndependent => true;

        public static double Prepare(in Batch<T, T> b, BinaryCrossEntropyOptions o) => b.RowTotal * b.Classes;

        public static void CheckTargets(in Batch<T, T> b, BinaryCrossEntropyOptions o, int from) =>
            CheckTargetsAndWeights(b.Targets, b.ElementWeights, b.Classes, from);

        public static double Generic(in Batch<T, T> b, BinaryCrossEntropyOptions o, double scale) =>
            SigmoidBinaryCrossEntropyKernel.Generic(b, o.WeightSpan, o.PositiveWeightSpan, o.LabelSmoothing, scale);

        public static bool FusedCovers(in Batch<T, T> b, BinaryCrossEntropyOptions o) =>
            SigmoidBinaryCrossEntropyKernel.Covers(!o.WeightSpan.IsEmpty || !o.PositiveWeightSpan.IsEmpty || !b.ElementWeights.IsEmpty,
                o.LabelSmoothing, b.PerElementLosses);

        public static double Fused(in Batch<T, T> b, BinaryCrossEntropyOptions o, double scale, out int checkFrom) =>
            SigmoidBinaryCrossEntropyKernel.Fused(b.Input, b.Targets, b.Classes, (float)scale,
                b.Gradient, b.Losses, o.MaxDegreeOfParallelism, out checkFrom);
    }
}
