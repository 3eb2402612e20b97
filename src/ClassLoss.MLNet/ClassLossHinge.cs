using ClassLoss.Losses;
using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet;

/// <summary>
/// The hinge loss <c>max(0, m - s z)</c> of the raw score z (<c>s = +1</c> for <c>label &gt; 0</c>, -1 otherwise),
/// computed by <see cref="MultiMarginHinge"/> on two classes, as an ML.NET loss for the SGD, averaged-perceptron and
/// SDCA trainers.
/// </summary>
/// <remarks>
/// <para>The value and subgradient (<c>-s</c> where <c>m - s z &gt; 0</c>, else 0, a hinge exactly at 0 inactive) are
/// ML.NET's <see cref="HingeLoss"/> with the same margin.</para>
/// <para><b>SDCA, closed form</b> (SDCA: Shalev-Shwartz and Zhang, JMLR 14 (2013) 567-599). With <c>b = s α</c>, the dual
/// loss is <c>-ℓ*(-α) = m b</c> on <c>b ∈ [0, 1]</c> (<c>-∞</c> outside), and the coordinate maximisation of
/// <c>m b' - s z (b' - b) - q (b' - b)² / 2</c> is exact: <c>b' = clip((m - s z) / q + b, 0, 1)</c>,
/// <c>Δα = s b' - α</c>, with <c>q = ‖x‖² / (λ n)</c> (the invariant is <c>1 / q</c>).</para>
/// </remarks>
public sealed class ClassLossHinge : ClassLossMarginLoss
{
    private readonly BinaryMarginKernel _kernel;

    /// <summary>The hinge loss with margin <paramref name="margin"/>.</summary>
    /// <param name="margin">m, finite (default 1, ML.NET's).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="margin"/> is NaN or infinite.</exception>
    public ClassLossHinge(double margin = 1.0)
        : base(margin, curvature: 0.0, dualBound: 1.0) => _kernel = new BinaryMarginKernel(power: 1, margin);

    private protected override double Evaluate(double z, float label, bool derivative) => _kernel.Evaluate(z, label, derivative);
}
