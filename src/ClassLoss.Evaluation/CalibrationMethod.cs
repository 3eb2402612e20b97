namespace ClassLoss.Evaluation;

/// <summary>How a <see cref="Calibrator"/> maps logits to calibrated probabilities.</summary>
public enum CalibrationMethod
{
    /// <summary>Temperature scaling (Guo et al. 2017): <c>softmax(z / T)</c>, one parameter.</summary>
    Temperature,

    /// <summary>Vector scaling (Guo et al. 2017): <c>softmax(w ⊙ z + b)</c>, 2K parameters.</summary>
    Vector,

    /// <summary>Platt scaling (Platt 1999), binary only: <c>p_1 = σ(a s + b)</c> with <c>s = z_1 - z_0</c>.</summary>
    Platt,
}
