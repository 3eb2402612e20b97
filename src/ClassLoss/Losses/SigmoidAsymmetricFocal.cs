using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="SigmoidAsymmetricFocal"/> (the defaults of the reference code's <c>SigmoidAsymmetricFocal</c> class).</summary>
/// <defaults>The defaults: γ- = 4, γ+ = 1, margin 0.05, mean over all N·K elements.</defaults>
[Options]
public sealed partial record SigmoidAsymmetricFocalOptions : LossOptions
{
    /// <summary>Focusing γ- ≥ 0 of the negatives (label 0). Default 4.</summary>
    public double GammaNegative { get; init; } = 4.0;

    /// <summary>Focusing γ+ ≥ 0 of the positives (label 1). Default 1 (the paper recommends 0 with γ- = 4).</summary>
    public double GammaPositive { get; init; } = 1.0;

    /// <summary>The probability margin m in [0, 1) that shifts the negatives' probability, <c>p_m = max(p - m, 0)</c>
    /// (the reference code's <c>clip</c>). Default 0.05; 0 turns the shift off.</summary>
    public double Margin { get; init; } = 0.05;

    private protected override void Validate(int classes)
    {
        Guard.Option(GammaNegative >= 0 && double.IsFinite(GammaNegative), nameof(GammaNegative), GammaNegative, "must be finite and >= 0");
        Guard.Option(GammaPositive >= 0 && double.IsFinite(GammaPositive), nameof(GammaPositive), GammaPositive, "must be finite and >= 0");
        Guard.Option(Margin >= 0 && Margin < 1, nameof(Margin), Margin, "must lie in [0, 1)");
    }

    /// <summary>Keras averages an element-wise loss over the last axis before <c>sum_over_batch_size</c>: the element mean.</summary>
    private protected override Reduction ConventionReduction(Convention convention) =>
        convention == Convention.Keras ? Reduction.Mean : base.ConventionReduction(convention);
}

/// <summary>
/// Asymmetric loss for multi-label classification (ASL; Ridnik et al. 2021, "Asymmetric Loss For Multi-Label
/// Classification", ICCV; the authors' <c>SigmoidAsymmetricFocal</c> in Alibaba-MIIL/ASL, <c>src/loss_functions/losses.py</c>),
/// element-wise on logits against [N, K] targets.
/// </summary>
/// <remarks>
/// <para>Per element with <c>p = σ(x)</c> and target y: <c>ℓ = y L+ + (1 - y) L-</c>, where
/// <c>L+ = -(1 - p)^{γ+} log p</c> and, with the shifted probability <c>p_m = max(p - m, 0)</c>,
/// <c>L- = -p_m^{γ-} log(1 - p_m)</c>: easy negatives (p ≤ m) cost exactly 0, and the focusing of the negatives is
/// stronger than that of the positives (γ- &gt; γ+). With γ+ = γ- = γ and m = 0 it is the sigmoid focal loss without α
/// (<see cref="SigmoidFocal"/> with class balancing off).</para>
/// <para>Stable forms: <c>log p = -softplus(-x)</c>, <c>(1 - p)^{γ+} = exp(-γ+ softplus(x))</c>; for m = 0 the negative
/// term is <c>exp(-γ- softplus(-x)) softplus(x)</c>; for m &gt; 0, <c>1 - p_m = σ(-x) + m ≥ m</c>. No probability is
/// clamped, so logits of ±1e4 give exact, finite losses and gradients.</para>
/// <para>Gradient: <c>∂L+/∂x = -(1 - p)^{γ+} (γ+ p softplus(-x) + (1 - p))</c>; for m = 0
/// <c>∂L-/∂x = p^{γ-} (γ- (1 - p) softplus(x) + p)</c>; for m &gt; 0 and p &gt; m, with <c>a = p - m</c> and
/// <c>q = 1 - a</c>: <c>∂L-/∂x = p (1 - p) a^{γ-} (1/q - γ- log(q) / a)</c> (0 for p ≤ m).</para>
/// <para>Where this differs from the reference code: the code clamps p at 1e-8 inside the logs (capping a positive's
/// loss below x ≈ -18.4); its default <c>disable_torch_grad_focal_loss=True</c> detaches the focusing weight, so its
/// gradient is not the gradient of its loss (this class's is); it returns the sum (use <see cref="Reduction.Sum"/>);
/// and for soft targets its focusing exponent mixes γ+ and γ- by y, where this class weights the two terms by y and
/// 1 - y (identical for 0/1 targets). Reductions: Mean divides by N·K, BatchMean by N, None writes N row sums or N·K
/// element losses. Targets must lie in [0, 1]; a term whose coefficient is 0 is left out.</para>
/// </remarks>
public static partial class SigmoidAsymmetricFocal
{
    /// <summary>The positive term <c>-(1 - p)^γ log p</c> and its derivative.</summary>
    private static double Positive(double x, double gamma, out double derivative)
    {
        double spNeg = StableMath.Softplus(-x); // -log p
        double p = StableMath.Sigmoid(x), q = StableMath.Sigmoid(-x);
        double focus = gamma == 0 ? 1.0 : Math.Exp(-gamma * StableMath.Softplus(x)); // (1 - p)^γ
        double pull = p == 0 ? 0.0 : gamma * p * spNeg; // γ p softplus(-x) → 0 as x → -∞
        derivative = -focus * (pull + q);
        return focus == 0 ? 0.0 : focus * spNeg;
    }

    /// <summary>The negative term <c>-p_m^γ log(1 - p_m)</c> and its derivative.</summary>
    private static double Negative(double x, double gamma, double margin, out double derivative)
    {
        double p = StableMath.Sigmoid(x), q = StableMath.Sigmoid(-x);
        if (margin == 0)
        {
            double sp = StableMath.Softplus(x); // -log(1 - p)
            double focus = gamma == 0 ? 1.0 : Math.Exp(-gamma * StableMath.Softplus(-x)); // p^γ
            double pull = q == 0 ? 0.0 : gamma * q * sp;
            derivative = focus * (pull + p);
            return focus == 0 ? 0.0 : focus * sp;
        }

        double a = p - margin;
        if (!(a > 0))
        {
            derivative = double.IsNaN(a) ? double.NaN : 0.0;
            return derivative;
        }

        double logQ = Math.Log(q + margin); // log(1 - p_m), ≥ log m
        double power = gamma == 0 ? 1.0 : Math.Pow(a, gamma);
        derivative = p * q * power * ((1 / (q + margin)) - (gamma == 0 ? 0.0 : gamma * logQ / a));
        return -power * logQ;
    }

    /// <summary>One element: <c>y L+ + (1 - y) L-</c>.</summary>
    private readonly struct Element : IElementLoss<SigmoidAsymmetricFocalOptions>
    {
        public static double Of(double x, double y, int column, in SigmoidAsymmetricFocalOptions o, out double derivative)
        {
            double loss = 0;
            derivative = 0;
            if (y != 0)
            {
                loss += y * Positive(x, o.GammaPositive, out double d);
                derivative += y * d;
            }

            if (y != 1)
            {
                loss += (1 - y) * Negative(x, o.GammaNegative, o.Margin, out double d);
                derivative += (1 - y) * d;
            }

            return loss;
        }
    }

    /// <summary>Generic only; targets in [0, 1]; the mean divides by N·K.</summary>
    /// <entry>Asymmetric loss of [N, K] logits against [N, K] targets in [0, 1].</entry>
    /// <input>Row-major [N, K] logits x.</input>
    /// <targets>Row-major [N, K] targets y in [0, 1] (multi-hot, or soft).</targets>
    /// <options>γ-, γ+, margin, reduction; null for the defaults.</options>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct Kernel<T> : IElementKernel<T, SigmoidAsymmetricFocalOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, T> b, SigmoidAsymmetricFocalOptions o, double scale) =>
            ElementwiseKernel.Run<T, Element, SigmoidAsymmetricFocalOptions>(b, default, o, scale);
    }
}
