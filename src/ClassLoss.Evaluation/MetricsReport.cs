namespace ClassLoss.Evaluation;

/// <summary>Everything <see cref="Metrics"/> computes.</summary>
public sealed record MetricsReport
{
    /// <summary>Rows seen.</summary>
    public long Rows { get; init; }

    /// <summary>K.</summary>
    public int Classes { get; init; }

    /// <summary>Mean negative log-likelihood (sklearn <c>log_loss</c>).</summary>
    public double LogLoss { get; init; }

    /// <summary>The log loss in bits: <see cref="LogLoss"/> / ln 2.</summary>
    public double LogLossBits { get; init; }

    /// <summary>Classwise ECE (Kull et al. 2019): the mean over classes of the equal-width ECE of p_c against [y = c].</summary>
    public double ClasswiseEce { get; init; }

    /// <summary>Reliability of Murphy's (1973) Brier decomposition, summed over the one-vs-rest classes, p_c in the equal-width bins.</summary>
    public double BrierReliability { get; init; }

    /// <summary>Resolution of the Brier decomposition.</summary>
    public double BrierResolution { get; init; }

    /// <summary>Uncertainty of the Brier decomposition: <c>Σ_c ȳ_c (1 - ȳ_c)</c>.</summary>
    public double BrierUncertainty { get; init; }

    /// <summary>
    /// The within-bin term that makes <c>Brier = reliability - resolution + uncertainty + within</c> exact
    /// (within-bin variance of the forecasts minus twice their covariance with the outcome; 0 when the forecasts
    /// in each bin are equal).
    /// </summary>
    public double BrierWithinBin { get; init; }

    /// <summary>ROC AUC per class, one-vs-rest (scikit-learn <c>roc_auc_score</c>, ties count one half); NaN for a class absent from the labels or present in every row. Empty unless <see cref="MetricsOptions.Ranking"/>.</summary>
    public IReadOnlyList<double> RocAuc { get; init; } = [];

    /// <summary>Mean of <see cref="RocAuc"/> over the classes where it is defined (scikit-learn's macro average); null unless ranking metrics were computed.</summary>
    public double? MacroRocAuc { get; init; }

    /// <summary>Average precision per class, one-vs-rest (scikit-learn <c>average_precision_score</c>); NaN for a class absent from the labels. Empty unless ranking metrics were computed.</summary>
    public IReadOnlyList<double> AveragePrecision { get; init; } = [];

    /// <summary>Mean of <see cref="AveragePrecision"/> over the classes present; null unless ranking metrics were computed.</summary>
    public double? MacroAveragePrecision { get; init; }

    /// <summary>True when <see cref="RocAuc"/> and <see cref="AveragePrecision"/> come from a merged
    /// <see cref="RankingSketch"/> rather than from every score (their bounds are <see cref="RocAucBounds"/> and
    /// <see cref="AveragePrecisionBounds"/>).</summary>
    public bool RankingFromSketch { get; init; }

    /// <summary>With <see cref="RankingFromSketch"/>, the bounds that hold each class's exact ROC AUC; else empty.</summary>
    public IReadOnlyList<SketchEstimate> RocAucBounds { get; init; } = [];

    /// <summary>With <see cref="RankingFromSketch"/>, the bounds that hold each class's exact average precision; else empty.</summary>
    public IReadOnlyList<SketchEstimate> AveragePrecisionBounds { get; init; } = [];

    /// <summary>Adaptive calibration error (Nixon et al. 2019): equal-mass bins of p_c per class, <c>(1/(K R)) Σ_c Σ_r |ȳ_cr - p̄_cr|</c>; null unless ranking metrics were computed.</summary>
    public double? Ace { get; init; }

    /// <summary>When <see cref="Ace"/> comes from a merged <see cref="CalibrationSketch"/> (merge mode), its estimate and the
    /// bounds that hold the exact value; else null.</summary>
    public SketchEstimate? AceBounds { get; init; }

    /// <summary>Multiclass Brier score: <c>(1/N) Σ_i Σ_c (p_ic - [y_i = c])²</c> (Brier 1950's original; in [0, 2]).</summary>
    public double Brier { get; init; }

    /// <summary>For K = 2: sklearn's <c>brier_score_loss</c>, <c>(1/N) Σ (p_i1 - y_i)²</c> (half the multiclass score); else null.</summary>
    public double? BinaryBrier { get; init; }

    /// <summary>Top-1 accuracy (argmax, first maximum on ties as NumPy).</summary>
    public double Accuracy { get; init; }

    /// <summary>k of <see cref="TopKAccuracy"/>.</summary>
    public int TopK { get; init; }

    /// <summary>Top-k accuracy (sklearn's <c>top_k_accuracy_score</c> for K ≥ 3; ties ranked as sklearn: higher index first).</summary>
    public double TopKAccuracy { get; init; }

    /// <summary>Balanced accuracy: mean recall over classes that occur in the labels (sklearn <c>balanced_accuracy_score</c>).</summary>
    public double BalancedAccuracy { get; init; }

    /// <summary>Expected calibration error with equal-width bins.</summary>
    public double Ece { get; init; }

    /// <summary>Expected calibration error with equal-mass bins (NaN when not computed).</summary>
    public double EceEqualMass { get; init; }

    /// <summary>When <see cref="EceEqualMass"/> comes from a merged <see cref="CalibrationSketch"/> (merge mode), its estimate
    /// and the bounds that hold the exact value; else null.</summary>
    public SketchEstimate? EceEqualMassBounds { get; init; }

    /// <summary>The debiased top-label L2 calibration error (Kumar, Liang and Ma 2019; <see cref="DebiasedCalibrationError"/>,
    /// 15 equal-mass bins), NaN when not computed (it needs every confidence, as the equal-mass ECE: not in merge mode).
    /// With a bootstrap its 95% interval is <c>Intervals["l2_calibration_error"]</c> (the reference's basic bootstrap).</summary>
    public double L2CalibrationError { get; init; } = double.NaN;

    /// <summary>Maximum calibration error over the non-empty equal-width bins.</summary>
    public double Mce { get; init; }

    /// <summary>Rows whose values did not sum to 1 within the tolerance (probability input only).</summary>
    public long RowsNotNormalised { get; init; }

    /// <summary>The largest |row sum - 1| seen.</summary>
    public double WorstRowSumError { get; init; }

    /// <summary>Per-class scores.</summary>
    public IReadOnlyList<ClassScores> PerClass { get; init; } = [];

    /// <summary>Confusion matrix: rows are true classes, columns predicted classes (sklearn's layout); empty above <see cref="Metrics.MaxConfusionClasses"/> classes.</summary>
    public IReadOnlyList<long[]> Confusion { get; init; } = [];

    /// <summary>The equal-width reliability bins (also the confidence histogram).</summary>
    public IReadOnlyList<ReliabilityBin> ReliabilityBins { get; init; } = [];

    /// <summary>95% bootstrap intervals by metric name (empty without bootstrap).</summary>
    public IReadOnlyDictionary<string, Interval> Intervals { get; init; } = new Dictionary<string, Interval>();
}
