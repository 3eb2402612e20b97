using ClassLoss.Losses;
using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet;

/// <summary>
/// Sigmoid focal loss (Lin et al. 2017) of the raw score, computed by <see cref="SigmoidFocal"/>, as an ML.NET loss for
/// the SGD and averaged-perceptron trainers; with torchvision's α convention (α on positives, 1 - α on negatives) or
/// Keras's default (α off).
/// </summary>
/// <remarks>
/// <para>Per example, with the raw score <c>z</c>, <c>t = 1</c> for <c>label &gt; 0</c> and 0 otherwise, <c>p = σ(z)</c>,
/// <c>p_t = p t + (1 - p)(1 - t)</c> and <c>α_t = α t + (1 - α)(1 - t)</c>:
/// <c>ℓ(z) = α_t (1 - p_t)^γ (softplus(z) - t z)</c>, with <c>α_t</c> replaced by 1 when class balancing is off
/// (torchvision's <c>alpha=-1</c>, Keras's <c>apply_class_balancing=False</c>); the value and <c>∂ℓ/∂z</c> come from
/// <see cref="SigmoidFocal"/> in double, exact and finite at any score and for any γ ≥ 0.</para>
/// <para><b>No SDCA dual.</b> SDCA needs the loss's convex conjugate and a coordinate step on it. Neither exists in
/// closed form here: the conjugate needs the score where <c>ℓ'(z) = -α</c>, and <c>ℓ'</c> mixes the sigmoid's power
/// <c>σ(-u)^γ</c> with <c>softplus</c>, which no elementary function inverts. Worse, the focal loss is not convex in the
/// score for any γ &gt; 0: in the margin <c>u = ±z</c>, as <c>u → -∞</c>, <c>ℓ'' ≈ (γ (u + 2) + 1) e^u &lt; 0</c> for
/// <c>u &lt; -2 - 1/γ</c> (a test sees the negative second difference at <c>u = -4</c>, γ = 2). So there is no dual whose
/// optimum is the primal's, and SDCA's duality gap (its stopping rule) would not mean what it says. Train focal with
/// <c>SgdNonCalibrated</c> or <c>AveragedPerceptron</c>.</para>
/// </remarks>
public sealed class ClassLossFocal : IClassificationLoss
{
    private readonly SigmoidFocalOptions _options;

    /// <summary>Sigmoid focal loss with focusing parameter <paramref name="gamma"/>.</summary>
    /// <param name="gamma">γ ≥ 0, finite (default 2; 0 gives the α-weighted log loss).</param>
    /// <param name="alpha">α in [0, 1]: the weight of positives, 1 - α that of negatives, when
    /// <paramref name="applyClassBalancing"/> is true. Default 0.25 (torchvision, Keras).</param>
    /// <param name="applyClassBalancing">True (default) applies α as torchvision's <c>sigmoid_focal_loss</c> does; false
    /// ignores it (torchvision's <c>alpha=-1</c>, Keras's <c>BinaryFocalCrossentropy</c> default).</param>
    /// <param name="labelSmoothing">Keras's <c>label_smoothing</c> ε in [0, 1): the target becomes
    /// <c>t (1 - ε) + ε / 2</c>. Default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is NaN or out of its range (the message names it).</exception>
    public ClassLossFocal(double gamma = 2.0, double alpha = 0.25, bool applyClassBalancing = true, double labelSmoothing = 0.0)
    {
        MlNetConventions.Check(double.IsFinite(gamma) && gamma >= 0, gamma, nameof(gamma), "must be finite and >= 0");
        MlNetConventions.Check(alpha >= 0 && alpha <= 1, alpha, nameof(alpha), "must lie in [0, 1] (to turn α off, pass applyClassBalancing: false)");
        MlNetConventions.Check(labelSmoothing >= 0 && labelSmoothing < 1, labelSmoothing, nameof(labelSmoothing), "must lie in [0, 1)");
        _options = new SigmoidFocalOptions
        {
            Reduction = Reduction.Sum,
            Gamma = gamma,
            Alpha = alpha,
            ApplyClassBalancing = applyClassBalancing,
            LabelSmoothing = labelSmoothing,
        };
    }

    /// <summary>The focusing parameter γ.</summary>
    public double Gamma => _options.Gamma;

    /// <summary>The balancing weight α of positives (used only when <see cref="ApplyClassBalancing"/> is true).</summary>
    public double Alpha => _options.Alpha;

    /// <summary>Whether α is applied (torchvision's convention) or ignored (Keras's default).</summary>
    public bool ApplyClassBalancing => _options.ApplyClassBalancing;

    /// <summary>The label smoothing ε.</summary>
    public double LabelSmoothing => _options.LabelSmoothing;

    /// <inheritdoc/>
    public double Loss(float output, float label) => Evaluate(output, label, derivative: false);

    /// <inheritdoc/>
    public float Derivative(float output, float label) => (float)Evaluate(output, label, derivative: true);

    /// <summary>The kernel on one element: the loss, or its derivative.</summary>
    private double Evaluate(float output, float label, bool derivative) =>
        MlNetConventions.OnElement<SigmoidFocalOptions>(SigmoidFocal.Evaluate, _options, output, label, derivative);
}
