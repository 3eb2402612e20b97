using System.Runtime.InteropServices;
using ClassLoss.Numerics;
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
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes,
        BinaryCrossEntropyOptions? options, Span<T> gradient, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Evaluate(logits, targets, default, classes, options, gradient, losses);

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
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, ReadOnlySpan<T> elementWeights, int classes,
        BinaryCrossEntropyOptions? options, Span<T> gradient, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? BinaryCrossEntropyOptions.Default;
        o.Validate(classes);
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(targets.Length, logits.Length, nameof(targets));
        Guard.Length(elementWeights.Length, logits.Length, nameof(elementWeights), optional: true);
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        bool perElement = ElementwiseOutput.Check(losses.Length, n, classes, nameof(losses));
        if (typeof(T) == typeof(float) && elementWeights.IsEmpty && losses.IsEmpty && FusedSigmoidBinaryCrossEntropy.Supports(o))
        {
            double fusedCount = (double)n * classes;
            double fusedScale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, fusedCount, n);
            double fusedSum = FusedSigmoidBinaryCrossEntropy.SumChecked(
                MemoryMarshal.Cast<T, float>(logits), MemoryMarshal.Cast<T, float>(targets), (float)fusedScale,
                MemoryMarshal.Cast<T, float>(gradient), out bool targetsValid, o.MaxDegreeOfParallelism);
            if (!targetsValid)
            {
                CheckTargetsAndWeights(targets, elementWeights, classes); // throws, naming the row and column
            }

            return Reducer.Result(o.Reduction, o.WhenEmpty, fusedSum, fusedCount, n);
        }

        CheckTargetsAndWeights(targets, elementWeights, classes);


        ReadOnlySpan<double> cw = o.WeightSpan;
        ReadOnlySpan<double> pwSpan = o.PositiveWeightSpan;
        double count = (double)n * classes;
        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, count, n);
        double eps = o.LabelSmoothing;
        bool wantGradient = !gradient.IsEmpty;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double rowLoss = 0;
            for (int k = 0; k < classes; k++)
            {
                int at = i * classes + k;
                double w = (cw.IsEmpty ? 1.0 : cw[k]) * (elementWeights.IsEmpty ? 1.0 : double.CreateTruncating(elementWeights[at]));
                double pw = pwSpan.IsEmpty ? 1.0 : pwSpan[k];
                double y = double.CreateTruncating(targets[at]) * (1 - eps) + 0.5 * eps;
                double x = double.CreateTruncating(logits[at]);
                double positive = pw * y;
                double negative = 1 - y;
                double loss = 0;
                double g = 0;
                if (w != 0)
                {
                    if (positive != 0)
                    {
                        loss += positive * StableMath.Softplus(-x);
                        g -= positive * StableMath.Sigmoid(-x);
                    }

                    if (negative != 0)
                    {
                        loss += negative * StableMath.Softplus(x);
                        g += negative * StableMath.Sigmoid(x);
                    }

                    loss *= w;
                    g *= w * scale;
                }

                rowLoss += loss;
                if (perElement)
                {
                    losses[at] = T.CreateTruncating(loss);
                }

                if (wantGradient)
                {
                    gradient[at] = T.CreateTruncating(g);
                }
            }

            sum += rowLoss;
            if (!perElement && !losses.IsEmpty)
            {
                losses[i] = T.CreateTruncating(rowLoss);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, count, n);
    }

    /// <summary>Checks element targets in [0, 1] and element weights finite and non-negative.</summary>
    internal static void CheckTargetsAndWeights<T>(ReadOnlySpan<T> targets, ReadOnlySpan<T> elementWeights, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int at = 0; at < targets.Length; at++)
        {
            Guard.UnitInterval(double.CreateTruncating(targets[at]), at / classes, at % classes, nameof(targets));
        }

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
}
