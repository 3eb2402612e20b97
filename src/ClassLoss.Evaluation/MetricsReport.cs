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

    /// <summary>Maximum calibration error over the non-empty equal-width bins.</summary>
    public double Mce { get; init; }

    /// <summary>Rows whose values did not sum to 1 within the tolerance (probability input only).</summary>
    public long RowsNotNormalised { get; init; }

    /// <summary>The largest |row sum - 1| seen.</summary>
    public double WorstRowSumError { get; init; }

    /// <summary>Per-class scores.</summary>
    public IReadOnlyList<ClassScores> PerClass { get; init; } = [];

    /// <summary>Confusion matrix: rows are true classes, columns predicted classes (sklearn's layout).</summary>
    public IReadOnlyList<long[]> Confusion { get; init; } = [];

    /// <summary>The equal-width reliability bins (also the confidence histogram).</summary>
    public IReadOnlyList<ReliabilityBin> ReliabilityBins { get; init; } = [];

    /// <summary>95% bootstrap intervals by metric name (empty without bootstrap).</summary>
    public IReadOnlyDictionary<string, Interval> Intervals { get; init; } = new Dictionary<string, Interval>();
}
