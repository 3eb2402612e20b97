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
public static partial class SigmoidBinaryCrossEntropy
{
    /// <summary>The public call on the generic (double arithmetic) kernel, whatever the input type (tests and the probe compare the paths).</summary>
    internal static LossResult EvaluateGeneric<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes,
        SigmoidBinaryCrossEntropyOptions o, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> sampleWeights = default,
        ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.RunGeneric(new Kernel<T>(), Batch.Targets(input, targets, classes, gradient, losses, LossesShape.RowsOrElements, nameof(input))
            .WithWeights(sampleWeights, gradOutput), o);

    /// <summary>Every option on the generic path; the fused path covers every option too (class and positive weights that
    /// are 0 or normal floats); the mean divides by N·K.</summary>
    /// <entry>Binary cross-entropy from [N, K] logits against [N, K] targets in [0, 1].</entry>
    /// <input>Row-major [N, K] logits x.</input>
    /// <targets>Row-major [N, K] targets y in [0, 1] (0/1 labels, multi-hot rows or soft targets).</targets>
    /// <options>Class and positive weights, smoothing, reduction; null for the defaults.</options>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct Kernel<T> : IElementKernel<T, SigmoidBinaryCrossEntropyOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, T> b, SigmoidBinaryCrossEntropyOptions o, double scale) =>
            SigmoidBinaryCrossEntropyKernel.Generic(b, o.WeightSpan, o.PositiveWeightSpan, o.LabelSmoothing, scale);

        public static bool FusedCovers(in Batch<T, T> b, SigmoidBinaryCrossEntropyOptions o) =>
            typeof(T) == typeof(double) || SigmoidBinaryCrossEntropyKernel.Covers(o.WeightSpan, o.PositiveWeightSpan);

        public static bool FusedTakesDouble => true;

        public static bool FusedTakesElementWeights => true;

        public static double Fused(in Batch<T, T> b, SigmoidBinaryCrossEntropyOptions o, double scale, out int checkFrom) =>
            SigmoidBinaryCrossEntropyKernel.FusedWithOptions(b.Input, b.Targets, b.Classes, scale, b.Gradient, b.Losses, b.PerElementLosses,
                b.ElementWeights, o.WeightSpan, o.PositiveWeightSpan, o.LabelSmoothing, o.MaxDegreeOfParallelism, out checkFrom);
    }
}
