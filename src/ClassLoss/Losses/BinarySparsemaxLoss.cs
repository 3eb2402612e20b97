using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="BinarySparsemaxLoss"/>.</summary>
/// <defaults>The defaults: mean over all N·K elements.</defaults>
[Options]
public sealed partial record BinarySparsemaxLossOptions : LossOptions
{
    /// <summary>Keras averages an element-wise loss over the last axis before <c>sum_over_batch_size</c>: the element mean.</summary>
    private protected override Reduction ConventionReduction(Convention convention) =>
        convention == Convention.Keras ? Reduction.Mean : base.ConventionReduction(convention);
}

/// <summary>
/// The binary sparsemax loss, element-wise on logits (Optax's <c>sparsemax_loss</c>, formerly
/// <c>binary_sparsemax_loss</c>; Blondel, Martins &amp; Niculae 2020, "Learning with Fenchel-Young Losses", Sec. 4.4):
/// one logit per element, against [N, K] binary (or soft) targets — the sparse counterpart of binary cross-entropy with
/// logits.
/// </summary>
/// <remarks>
/// <para>With <c>sparse_plus(u) = 0</c> for <c>u ≤ -1</c>, <c>(u + 1)²/4</c> for <c>|u| &lt; 1</c>, <c>u</c> for
/// <c>u ≥ 1</c>: a label 1 costs <c>sparse_plus(-x)</c>, a label 0 <c>sparse_plus(x)</c> (Optax:
/// <c>sparse_plus(where(labels, -logits, logits))</c>). It is zero iff <c>sparse_sigmoid(x) = y</c>, with
/// <c>sparse_sigmoid(x) = clip((x + 1)/2, 0, 1)</c>.</para>
/// <para>It is the Fenchel–Young loss of the regulariser <c>Ω(p) = p² - p</c> on [0, 1], so a soft target y ∈ [0, 1]
/// has the same formula, <c>ℓ = sparse_plus(x) - x y + y² - y</c>, which this class computes piecewise in a stable form
/// with <c>s = (x + 1)/2</c>: <c>(s - y)²</c> for <c>|x| &lt; 1</c>, <c>(1 - y)(x - y)</c> for <c>x ≥ 1</c>,
/// <c>y (y - 1 - x)</c> for <c>x ≤ -1</c> (a zero factor is left out, so <c>x = ±∞</c> against the matching hard target
/// costs 0). Hard targets give exactly Optax's values.</para>
/// <para>Gradient (prediction minus target): <c>∂ℓ/∂x = sparse_sigmoid(x) - y</c>, continuous; the loss has kinks of
/// its second derivative at x = ±1. Reductions: Mean divides by N·K, BatchMean by N, None writes N row sums or N·K
/// element losses. Targets must lie in [0, 1] (Optax treats any nonzero label as 1).</para>
/// </remarks>
public static partial class BinarySparsemaxLoss
{
    /// <summary>One element: the piecewise form of <c>sparse_plus(x) - x y + y² - y</c>, derivative <c>sparse_sigmoid(x) - y</c>.</summary>
    private readonly struct Element : IElementLoss<byte>
    {
        public static double Of(double x, double y, int column, in byte unused, out double derivative)
        {
            double s = (x + 1) / 2;
            derivative = Math.Clamp(s, 0.0, 1.0) - y;
            if (x >= 1)
            {
                return y == 1 ? 0.0 : (1 - y) * (x - y);
            }

            if (x <= -1)
            {
                return y == 0 ? 0.0 : y * (y - 1 - x);
            }

            double d = s - y;
            return d * d;
        }
    }

    /// <summary>Generic only; targets in [0, 1]; the mean divides by N·K.</summary>
    /// <entry>Binary sparsemax loss of [N, K] logits against [N, K] targets in [0, 1].</entry>
    /// <input>Row-major [N, K] logits x, one per binary decision.</input>
    /// <targets>Row-major [N, K] targets y in [0, 1] (0/1 labels, multi-hot, or soft).</targets>
    /// <options>Reduction; null for the defaults.</options>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct Kernel<T> : IElementKernel<T, BinarySparsemaxLossOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, T> b, BinarySparsemaxLossOptions o, double scale) =>
            ElementwiseKernel.Run<T, Element, byte>(b, default, 0, scale);
    }
}
