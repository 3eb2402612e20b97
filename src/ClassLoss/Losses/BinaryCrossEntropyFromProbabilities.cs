using ClassLoss.Validation;
using ClassLoss.Losses.Kernels;

namespace ClassLoss.Losses;

/// <summary>
/// Binary cross-entropy of predicted probabilities, element-wise over [N, K]: PyTorch's <c>BCELoss</c> (log clamped
/// at -100, the default) or Keras's <c>BinaryCrossentropy(from_logits=False)</c> (probabilities clipped to
/// [ε, 1 - ε]).
/// </summary>
/// <remarks>
/// <para>Per element, with <c>y' = y (1 - ε_s) + ε_s / 2</c> (label smoothing), positive weight <c>pw_k</c> and
/// weight <c>w</c>: <c>ℓ = -w [pw y' clog(p) + (1 - y') clog(1 - p)]</c>, with <c>clog</c> the clamped log of
/// <see cref="ProbabilityClamp"/>. (PyTorch's <c>BCELoss</c> has no <c>pos_weight</c>; here it is offered for
/// symmetry with <see cref="SigmoidBinaryCrossEntropy"/>; it defaults to 1.)</para>
/// <para>Gradient w.r.t. p, with PyTorch's clamp (<see cref="ProbabilityClamp.LogAtMinus100"/>, the default):
/// PyTorch's <c>BCELoss</c> backward, <c>w (p - y') / max(p (1 - p), 1e-12)</c>, with a positive weight
/// <c>w [(1 - y') p - pw y' (1 - p)] / max(p (1 - p), 1e-12)</c>. That is the exact derivative
/// <c>-w [pw y' / p - (1 - y') / (1 - p)]</c> wherever <c>p (1 - p) ≥ 1e-12</c>; near the edges it is bounded by
/// <c>w max(pw, 1) · 1e12</c> as in PyTorch (at <c>p = 0</c>: 0 for <c>y = 0</c>, <c>-1e12 w pw</c> for <c>y = 1</c>),
/// where the derivative of the clamped loss would be 0 under the clamp and up to <c>1/p ≈ 2.7e43</c> just above it
/// (beyond float: float and double would differ). With <see cref="ProbabilityClamp.KerasClip"/> and
/// <see cref="ProbabilityClamp.None"/> the gradient is the derivative of the clipped (or plain) loss, each term 0 where
/// its clip is active (TensorFlow's <c>clip_by_value</c> gradient).</para>
/// <para>Reductions as <see cref="SigmoidBinaryCrossEntropy"/>: Mean over N·K elements, BatchMean over N. Inputs
/// and targets must be finite and in [0, 1]. Prefer the logit form when logits exist.</para>
/// </remarks>
public static partial class BinaryCrossEntropyFromProbabilities
{
    /// <summary>Generic only; the mean divides by N·K.</summary>
    /// <entry>Binary cross-entropy of [N, K] probabilities against [N, K] targets in [0, 1].</entry>
    /// <input>Row-major [N, K] predicted probabilities p in [0, 1].</input>
    /// <targets>Row-major [N, K] targets y in [0, 1].</targets>
    /// <options>Weights, smoothing, clamp, reduction; null for the defaults.</options>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct Kernel<T> : IElementKernel<T, BinaryCrossEntropyFromProbabilitiesOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, BinaryCrossEntropyFromProbabilitiesOptions o)
        {
            CrossEntropyFromProbabilities.CheckProbabilities(b.Input, b.Classes);
            return b.RowTotal * b.Classes;
        }

        public static double Generic(in Batch<T, T> b, BinaryCrossEntropyFromProbabilitiesOptions o, double scale) =>
            ElementwiseKernel.Run<T, BinaryProbabilityElement, BinaryParameters>(b, o.WeightSpan,
                new BinaryParameters(o.PositiveWeightSpan, o.LabelSmoothing, o.Clamp, o.ClipEpsilon), scale);
    }
}
