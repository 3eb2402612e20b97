using System.Runtime.InteropServices;
using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="SigmoidFocal"/> (torchvision's <c>sigmoid_focal_loss</c> defaults, mean over elements).</summary>
public sealed record SigmoidFocalOptions : LossOptions
{
    /// <summary>The defaults: γ = 2, α = 0.25 with class balancing on (torchvision), mean over all N·K elements.</summary>
    public static SigmoidFocalOptions Default { get; } = new();

    /// <summary>Focusing parameter γ ≥ 0 (default 2). γ = 0 gives the (α-weighted) binary cross-entropy.</summary>
    public double Gamma { get; init; } = 2.0;

    /// <summary>
    /// Balancing weight α of the positive class: <c>α_t = α t + (1 - α)(1 - t)</c>. Must lie in [0, 1]; a negative
    /// value disables the weighting (torchvision's <c>alpha=-1</c>). Default 0.25 (torchvision and Keras).
    /// </summary>
    public double Alpha { get; init; } = 0.25;

    /// <summary>
    /// Whether α is applied. True (default) is torchvision's convention (α applied unless negative); false is Keras's
    /// <c>BinaryFocalCrossentropy(apply_class_balancing=False)</c> default, where α is ignored. Keras's
    /// <c>apply_class_balancing=True</c> is this option true with the same α.
    /// </summary>
    public bool ApplyClassBalancing { get; init; } = true;

    internal bool UsesAlpha => ApplyClassBalancing && Alpha >= 0;

    internal void Validate()
    {
        Guard.Option(Gamma >= 0 && double.IsFinite(Gamma), nameof(Gamma), Gamma, "must be finite and >= 0");
        Guard.Option(!double.IsNaN(Alpha) && Alpha <= 1, nameof(Alpha), Alpha, "must be <= 1 (negative disables it)");
    }
}

/// <summary>
/// Sigmoid focal loss from logits against [N, K] binary, multi-hot or soft targets (Lin et al. 2017), element-wise.
/// </summary>
/// <remarks>
/// <para>Per element, with <c>p = σ(x)</c> and <c>ce = softplus(x) - t x</c> (binary cross-entropy with logits), the loss
/// is <c>ℓ = α_t (1 - p_t)^γ ce</c>, <c>p_t = p t + (1 - p)(1 - t)</c>, <c>α_t = α t + (1 - α)(1 - t)</c>
/// (torchvision's <c>sigmoid_focal_loss</c>; Keras's <c>BinaryFocalCrossentropy</c> with
/// <c>apply_class_balancing</c> on or off, see <see cref="SigmoidFocalOptions.ApplyClassBalancing"/>).</para>
/// <para>For a hard target write <c>s = 2t - 1 = ±1</c> and <c>u = s x</c>: then <c>1 - p_t = σ(-u)</c>,
/// <c>ce = softplus(-u)</c>, the focal factor is taken in log space, <c>f = exp(γ logσ(-u))</c>, and
/// <c>∂ℓ/∂x = -s α_t f (γ σ(u) ce + σ(-u))</c>. No power <c>(1 - p_t)^(γ-1)</c> appears, so the gradient is exact
/// and finite at logits of ±100 and for γ &lt; 1. For a soft target t in (0, 1): <c>m = 1 - p_t = p + t - 2pt ≥ min(t, 1-t) &gt; 0</c>,
/// <c>∂ℓ/∂x = α_t (γ m^(γ-1) p (1-p)(1-2t) ce + m^γ (p - t))</c>.</para>
/// <para>Row loss = the sum of the row's K element losses. Mean divides the total by N·K (torchvision's
/// <c>reduction="mean"</c>; equal to Keras's per-sample mean over the last axis then batch mean); BatchMean divides by N;
/// torchvision's default <c>reduction="none"</c> is our element losses, whose row sums <see cref="Reduction.None"/> writes.</para>
/// </remarks>
public static class SigmoidFocal
{
    /// <summary>Sigmoid focal loss of [N, K] logits against [N, K] targets in [0, 1].</summary>
    /// <param name="logits">Row-major [N, K] logits x.</param>
    /// <param name="targets">Row-major [N, K] targets t in [0, 1] (binary, multi-hot or soft).</param>
    /// <param name="classes">K.</param>
    /// <param name="options">γ, α, class balancing, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer that receives ∂(reduced loss)/∂x (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer that receives each row's summed element losses (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes,
        SigmoidFocalOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? SigmoidFocalOptions.Default;
        o.Validate();
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(targets.Length, logits.Length, nameof(targets));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        double elements = (double)n * classes;
        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, elements, n);
        if (typeof(T) == typeof(float) && FusedSigmoidBinaryCrossEntropy.InUnitInterval(MemoryMarshal.Cast<T, float>(targets)))
        {
            // Float with valid targets (every option combination): the vectorised fused kernel.
            double fusedSum = FusedSigmoidFocal.Sum(MemoryMarshal.Cast<T, float>(logits), MemoryMarshal.Cast<T, float>(targets), classes,
                o, scale, MemoryMarshal.Cast<T, float>(gradient), MemoryMarshal.Cast<T, float>(rowLosses), o.MaxDegreeOfParallelism);
            return Reducer.Result(o.Reduction, o.WhenEmpty, fusedSum, elements, n);
        }

        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < classes; c++)
            {
                Guard.UnitInterval(double.CreateTruncating(targets[i * classes + c]), i, c, nameof(targets));
            }
        }

        double gamma = o.Gamma;
        bool useAlpha = o.UsesAlpha;
        double alpha = o.Alpha;
        bool wantGradient = !gradient.IsEmpty;
        double sum = 0;

        for (int i = 0; i < n; i++)
        {
            double rowSum = 0;
            for (int c = 0; c < classes; c++)
            {
                int idx = i * classes + c;
                double loss = Element(double.CreateTruncating(logits[idx]), double.CreateTruncating(targets[idx]), gamma, useAlpha, alpha, out double dx);
                rowSum += loss;
                if (wantGradient)
                {
                    gradient[idx] = T.CreateTruncating(dx * scale);
                }
            }

            sum += rowSum;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(rowSum);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, elements, n);
    }

    /// <summary>One element's loss <c>α_t (1 - p_t)^γ ce</c> and its unscaled gradient ∂ℓ/∂x (float64; also the fused kernel's tail).</summary>
    internal static double Element(double x, double t, double gamma, bool useAlpha, double alpha, out double dx)
    {
        double at = useAlpha ? alpha * t + (1 - alpha) * (1 - t) : 1.0;
        if (t == 0 || t == 1)
        {
            double s = t == 1 ? 1.0 : -1.0;
            double u = s * x;
            double ce = StableMath.Softplus(-u);
            double f = gamma == 0 ? 1.0 : Math.Exp(gamma * StableMath.LogSigmoid(-u));
            dx = gamma == 0
                ? -s * at * StableMath.Sigmoid(-u)
                : -s * at * f * (gamma * StableMath.Sigmoid(u) * ce + StableMath.Sigmoid(-u));
            return at * f * ce;
        }
        else
        {
            double p = StableMath.Sigmoid(x);
            double ce = StableMath.Softplus(x) - t * x;
            double m = p + t - 2 * p * t;
            double f = gamma == 0 ? 1.0 : Math.Exp(gamma * Math.Log(m));
            double df = gamma == 0 ? 0.0 : gamma * f / m * p * (1 - p) * (1 - 2 * t);
            // γ = 0 leaves out the df·ce term: 0·ce is NaN at an infinite logit, where the limit α_t (p - t) is finite.
            dx = gamma == 0 ? at * (p - t) : at * (df * ce + f * (p - t));
            return at * f * ce;
        }
    }
}
