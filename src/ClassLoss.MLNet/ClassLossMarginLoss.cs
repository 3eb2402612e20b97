using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet;

/// <summary>
/// The margin losses of the raw score z (<see cref="ClassLossHinge"/>, <see cref="ClassLossSquaredHinge"/>,
/// <see cref="ClassLossSmoothedHinge"/>) with their one SDCA form: with <c>s = ±1</c> the label's sign and
/// <c>b = s α</c>, each one's dual loss is <c>-ℓ*(-α) = m b - c b² / 2</c> on <c>b ∈ [0, B]</c> (<c>-∞</c> outside), and
/// SDCA's coordinate maximisation of <c>m b' - c b'² / 2 - s z (b' - b) - q (b' - b)² / 2</c> is exact:
/// <c>b' = clip((m - s z - c b) / (q + c) + b, 0, B)</c>, <c>Δα = s b' - α</c>, with the invariant <c>1 / (q + c)</c>
/// (SDCA: Shalev-Shwartz and Zhang, JMLR 14 (2013) 567-599). The hinge has <c>c = 0</c>, <c>B = 1</c>; the squared hinge
/// <c>c = 1/2</c>, <c>B = ∞</c>; the smoothed hinge <c>c = γ</c>, <c>B = 1</c>.
/// </summary>
public abstract class ClassLossMarginLoss : ISupportSdcaClassificationLoss
{
    private readonly double _curvature;
    private readonly double _dualBound;

    /// <summary>A margin loss with margin <paramref name="margin"/>, dual curvature c and dual bound B.</summary>
    private protected ClassLossMarginLoss(double margin, double curvature, double dualBound)
    {
        MlNetConventions.Check(double.IsFinite(margin), margin, nameof(margin), "must be finite");
        Margin = margin;
        _curvature = curvature;
        _dualBound = dualBound;
    }

    /// <summary>The margin m.</summary>
    public double Margin { get; }

    /// <inheritdoc/>
    public double Loss(float output, float label) => Evaluate(output, label, derivative: false);

    /// <inheritdoc/>
    public float Derivative(float output, float label) => (float)Evaluate(output, label, derivative: true);

    /// <summary>SDCA's invariant of an example: <c>1 / (q + c)</c>.</summary>
    /// <param name="scaledFeaturesNormSquared"><c>q</c>: the example's weight times <c>(‖x‖² + 1) / (λ n)</c>.</param>
    public float ComputeDualUpdateInvariant(float scaledFeaturesNormSquared) => (float)(1.0 / (scaledFeaturesNormSquared + _curvature));

    /// <summary>SDCA's exact coordinate step <c>s clip((m - s z - c s α) / (q + c) + s α, 0, B) - α</c> (divided by the
    /// thread count when above 0.5 with several threads, as ML.NET's).</summary>
    /// <param name="output">The current score z.</param>
    /// <param name="label">The label (positive when &gt; 0).</param>
    /// <param name="dual">The example's dual variable α.</param>
    /// <param name="invariant">What <see cref="ComputeDualUpdateInvariant"/> returned for the example.</param>
    /// <param name="maxNumThreads">The trainer's thread count.</param>
    public float DualUpdate(float output, float label, float dual, float invariant, int maxNumThreads)
    {
        double s = MlNetConventions.Sign(label);
        double b = s * dual;
        double next = Math.Clamp((Margin - s * output - _curvature * b) * invariant + b, 0.0, _dualBound);
        return MlNetConventions.Damped(s * next - dual, maxNumThreads);
    }

    /// <summary>The dual loss <c>m b - c b² / 2</c> with <c>b = s α ∈ [0, B]</c>, <see cref="double.NegativeInfinity"/>
    /// outside.</summary>
    /// <param name="label">The label (positive when &gt; 0).</param>
    /// <param name="dual">The dual variable α.</param>
    public double DualLoss(float label, float dual)
    {
        double b = MlNetConventions.Sign(label) * dual;
        return b >= 0 && b <= _dualBound ? Margin * b - _curvature * b * b / 2 : double.NegativeInfinity;
    }

    /// <summary>The loss at score <paramref name="z"/>, or its derivative with respect to z.</summary>
    private protected abstract double Evaluate(double z, float label, bool derivative);
}
