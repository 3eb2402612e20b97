using ClassLoss.Losses;
using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet;

/// <summary>
/// The squared hinge loss <c>max(0, m - s z)²</c> of the raw score z (<c>s = +1</c> for <c>label &gt; 0</c>, -1
/// otherwise), computed by <see cref="MultiMarginHinge"/> (power 2) on two classes, as an ML.NET loss for the SGD,
/// averaged-perceptron and SDCA trainers. ML.NET has no built-in squared hinge.
/// </summary>
/// <remarks>
/// <para>Derivative: <c>-2 s max(0, m - s z)</c>, continuous, so SGD sees no kink.</para>
/// <para><b>SDCA, closed form.</b> With <c>b = s α</c>: <c>-ℓ*(-α) = inf_u (b u + max(0, m - u)²) = m b - b² / 4</c>
/// on <c>b ≥ 0</c> (<c>-∞</c> for <c>b &lt; 0</c>; no upper bound, unlike the hinge), and the coordinate maximisation of
/// <c>m b' - b'² / 4 - s z (b' - b) - q (b' - b)² / 2</c> is exact:
/// <c>b' = max(0, (m - s z - b / 2) / (q + 1/2) + b)</c>, <c>Δα = s b' - α</c> (the invariant is <c>1 / (q + 1/2)</c>;
/// this is the smoothed hinge's step with smoothing 1/2 and no cap at 1; SDCA: Shalev-Shwartz and Zhang, JMLR 14
/// (2013) 567-599).</para>
/// </remarks>
public sealed class ClassLossSquaredHinge : ClassLossMarginLoss
{
    private readonly BinaryMarginKernel _kernel;

    /// <summary>The squared hinge loss with margin <paramref name="margin"/>.</summary>
    /// <param name="margin">m, finite (default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="margin"/> is NaN or infinite.</exception>
    public ClassLossSquaredHinge(double margin = 1.0)
        : base(margin, curvature: 0.5, dualBound: double.PositiveInfinity) => _kernel = new BinaryMarginKernel(power: 2, margin);

    private protected override double Evaluate(double z, float label, bool derivative) => _kernel.Evaluate(z, label, derivative);
}
