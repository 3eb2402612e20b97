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
/// <para>Gradient w.r.t. p: <c>∂ℓ/∂p = -w [pw y' / p - (1 - y') / (1 - p)]</c>, each term 0 where its clamp is
/// active (the clamp's derivative). PyTorch's backward is <c>(p - y) / max(p (1 - p), 1e-12)</c> instead; the two
/// agree wherever no clamp is active and <c>p (1 - p) ≥ 1e-12</c>. They differ at the edges: at <c>p = 0, y = 0</c>
/// PyTorch's gradient is <c>0 / 1e-12 = 0</c> and ours the exact <c>1 / (1 - p) = 1</c>; at <c>p = 0, y = 1</c> ours is
/// 0 (clamped) and PyTorch's <c>-1e12</c>.</para>
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
            ElementwiseKernel.Run<T, BinaryCrossEntropyElement<ProbabilityTerms>, BinaryParameters>(b, o.WeightSpan,
                new BinaryParameters(o.PositiveWeightSpan, o.LabelSmoothing, o.Clamp, o.ClipEpsilon), scale);
    }
}
