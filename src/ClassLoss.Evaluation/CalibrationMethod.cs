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

    /// <summary>
    /// Isotonic regression (Zadrozny and Elkan 2002), one-vs-rest then renormalised: scikit-learn's
    /// <c>CalibratedClassifierCV(method="isotonic")</c> (<see cref="IsotonicCalibration"/>).
    /// </summary>
    Isotonic,

    /// <summary>Histogram binning (Zadrozny and Elkan 2001), one-vs-rest then renormalised (<see cref="HistogramBinning"/>).</summary>
    Histogram,

    /// <summary>Dirichlet calibration with ODIR regularisation (Kull et al. 2019): <c>softmax(W ln q + b)</c> (<see cref="DirichletCalibration"/>).</summary>
    Dirichlet,

    /// <summary>Beta calibration (Kull, Silva Filho and Flach 2017), binary only (<see cref="BetaCalibration"/>).</summary>
    Beta,
}
