namespace ClassLoss.Evaluation;

/// <summary>
/// Histogram binning (Zadrozny and Elkan 2001, "Obtaining calibrated probability estimates from decision trees and
/// naive Bayesian classifiers"): per class, the probability p_c falls in one of B equal-width bins (lo, hi] (0 in the
/// first, 1 in the last, as the ECE's bins) and is replaced by the fraction of fitting rows in that bin whose label is
/// c; a bin with no fitting row keeps its midpoint. One-vs-rest then each row divided by its sum (uniform where the
/// sum is 0), as <see cref="IsotonicCalibration"/>; for two classes one map on <c>p_1</c> and <c>p_0 = 1 - p_1</c>.
/// </summary>
public static class HistogramBinning
{
    /// <summary>Fits B bins per class on [N, K] rows (logits; probabilities as their logs).</summary>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames, int bins = 15)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (bins < 1)
        {
            throw new ArgumentException($"Histogram binning needs at least 1 bin; got {bins}.", nameof(bins));
        }

        int k = classNames.Count;
        int n = OneVsRest.Check(logits, labels, k);
        var scores = OneVsRest.Scores(logits, k, PredictionValues.Probabilities);
        int curves = k == 2 ? 1 : k;
        var values = new IReadOnlyList<double>[curves];
        var warnings = new List<string>();
        var count = new long[bins];
        var hits = new long[bins];
        var t = new double[n];
        for (int j = 0; j < curves; j++)
        {
            int c = k == 2 ? 1 : j;
            Array.Clear(count);
            Array.Clear(hits);
            for (int i = 0; i < n; i++)
            {
                int b = Bin(scores[i * curves + j], bins);
                count[b]++;
                hits[b] += labels[i] == c ? 1 : 0;
                t[i] = labels[i] == c ? 1 : 0;
            }

            var v = new double[bins];
            for (int b = 0; b < bins; b++)
            {
                v[b] = count[b] == 0 ? (b + 0.5) / bins : (double)hits[b] / count[b];
            }

            values[j] = v;
            OneVsRest.WarnAbsent(t, classNames[c], warnings);
        }

        OneVsRest.WarnFewRows(n, bins * curves, warnings);
        var calibrator = new Calibrator
        {
            Method = CalibrationMethod.Histogram,
            ClassNames = [.. classNames],
            Input = PredictionValues.Probabilities,
            KnotValues = values,
            Warnings = warnings.Count > 0 ? warnings : null,
        };
        return OneVsRest.WithFitNll(calibrator, logits, labels);
    }

    /// <summary>The bin (lo, hi] of width 1/B holding p; 0 goes to the first bin, 1 to the last.</summary>
    internal static int Bin(double p, int bins) => Math.Clamp((int)Math.Ceiling(p * bins) - 1, 0, bins - 1);
}
