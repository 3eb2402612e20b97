namespace ClassLoss.Evaluation;

/// <summary>Options of <see cref="Metrics"/>.</summary>
public sealed record MetricsOptions
{
    /// <summary>The defaults: eps = 2.22e-16, top-2, 15 bins, no bootstrap.</summary>
    public static MetricsOptions Default { get; } = new();

    /// <summary>
    /// Clipping for the log loss: probabilities are clipped to [eps, 1 - eps] and each row is then divided by its
    /// clipped sum, exactly as scikit-learn 1.2.1's <c>log_loss</c> with <c>eps="auto"</c> on float64 input
    /// (eps = <c>np.finfo(float64).eps</c> = 2.220446049250313e-16). Note sklearn 1.2.1 always renormalises
    /// inside <c>log_loss</c>, whatever the row sums are. (Checked in the 1.2.1 source: <c>eps = np.finfo(y_pred.dtype).eps
    /// if eps == "auto"</c>, then <c>np.clip(y_pred, eps, 1 - eps)</c>, then <c>y_pred / y_pred.sum(axis=1)</c>. The
    /// old fixed 1e-15 was the default before 1.2; for float32 arrays sklearn would use 1.19e-7, while this reader
    /// always works in float64.)
    /// </summary>
    public double Eps { get; init; } = 2.220446049250313e-16;

    /// <summary>k of the top-k accuracy (default 2; values above K count every row as a hit).</summary>
    public int TopK { get; init; } = 2;

    /// <summary>Number of bins of the calibration errors (default 15, as Guo et al. 2017).</summary>
    public int Bins { get; init; } = 15;

    /// <summary>
    /// Whether to compute the equal-mass ECE, which sorts all confidences and so keeps 5 bytes per row
    /// (a float confidence and a correctness byte). Default true; false keeps memory constant in N.
    /// </summary>
    public bool EqualMass { get; init; } = true;

    /// <summary>Bootstrap resamples for the 95% percentile intervals (0 = none). Keeps about 21 bytes per row.</summary>
    public int Bootstrap { get; init; }

    /// <summary>Seed of the bootstrap resampling (System.Random with a seed: reproducible).</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Whether to compute the ranking metrics: ROC AUC and average precision per class (one-vs-rest, scikit-learn's
    /// <c>roc_auc_score</c> / <c>average_precision_score</c>) and their macro means, and the adaptive calibration
    /// error (Nixon et al. 2019). They are exact, so every probability is kept: 8 K + 4 bytes per row. Default false.
    /// </summary>
    public bool Ranking { get; init; }

    /// <summary>
    /// Keep a <see cref="RankingSketch"/> (bounded memory, mergeable; alone, or beside the exact scores of
    /// <see cref="Ranking"/>): what partial results carry, so that the merge of partials reports ROC AUC and average
    /// precision, within the sketch's stated bounds, where the exact per-row scores are not kept. The bins per class are
    /// <c>min(2^14, 2^22 / K)</c>; none above 16,384 classes. Default false.
    /// </summary>
    public bool RankingSketch { get; init; }

    /// <summary>
    /// Keep <see cref="Evaluation.CalibrationSketch"/>es (bounded memory, mergeable) of the top-label confidence and, with
    /// <see cref="RankingSketch"/>, of every class's probability: what partial results carry so that the merge of
    /// partials reports the equal-mass ECE and the ACE within the sketches' stated bounds (<see cref="MetricsReport.EceEqualMassBounds"/>,
    /// <see cref="MetricsReport.AceBounds"/>) where the per-row values are not kept. The confidence sketch has
    /// 65,539 bins (2.1 MB); the class sketch the largest M ≤ 7 with K (64 · 2^M + 3) ≤ 2^22 (262 KB per class up
    /// to 511 classes), none above 62,601 classes. Default false.
    /// </summary>
    public bool CalibrationSketch { get; init; }

    /// <summary>How far a row may sum from 1 before it counts as not normalised (default 1e-6).</summary>
    public double SumTolerance { get; init; } = 1e-6;
}
