namespace ClassLoss.Evaluation;

/// <summary>
/// The exact ranking metrics of <see cref="Metrics"/> (<see cref="MetricsOptions.Ranking"/>), per class one-vs-rest
/// on the kept probabilities. Each class's scores are sorted once (ties ordered by row, as a stable sort would).
/// </summary>
/// <remarks>
/// <para>ROC AUC (scikit-learn 1.2.1 <c>roc_auc_score</c>: <c>_binary_clf_curve</c> puts one ROC point at each distinct
/// score, <c>auc</c> integrates by the trapezoid rule): walking the distinct scores from the highest, a group of tied
/// rows with f negatives and t positives after F negatives and T positives above it adds <c>f (T + t/2)</c>; the sum
/// over P·N (Mann-Whitney with ties counted one half). Undefined (NaN) when a class has no positive or no negative row.</para>
/// <para>Average precision (<c>average_precision_score</c>: <c>Σ_k (R_k - R_(k-1)) P_k</c> over the distinct scores
/// from the highest): a group with t positives adds <c>(t / P) · T' / (T' + F')</c>, T', F' counted through the group.
/// NaN for a class with no positive row (scikit-learn returns 0 there with a warning).</para>
/// <para>ACE (Nixon et al. 2019, "Measuring Calibration in Deep Learning"): per class, the N rows sorted by p_c in R
/// equal-mass bins of ranks [rN/R, (r+1)N/R) (as the equal-mass ECE), <c>(1/(K R)) Σ_c Σ_r |Σ y - Σ p| / n_r</c>
/// over the non-empty bins.</para>
/// </remarks>
internal static class Ranking
{
    public static (double[] Auc, double[] Ap, double Ace) Compute(List<double> scores, List<int> labels, int k, int bins)
    {
        int n = labels.Count;
        var keys = new double[n];
        var order = new int[n];
        var auc = new double[k];
        var ap = new double[k];
        double ace = 0;
        int aceBins = 0;
        var flat = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(scores);
        var y = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(labels);
        for (int c = 0; c < k; c++)
        {
            for (int i = 0; i < n; i++)
            {
                keys[i] = flat[i * k + c];
                order[i] = i;
            }

            Array.Sort(keys, order);
            for (int lo = 0; lo < n;)
            {
                int hi = lo + 1;
                while (hi < n && keys[hi] == keys[lo])
                {
                    hi++;
                }

                if (hi - lo > 1)
                {
                    Array.Sort(order, lo, hi - lo);
                }

                lo = hi;
            }

            long positives = 0;
            for (int i = 0; i < n; i++)
            {
                positives += y[i] == c ? 1 : 0;
            }

            long negatives = n - positives;

            // From the highest score down, one tie group at a time.
            double area = 0, precisionSum = 0;
            long tp = 0, fp = 0;
            for (int hi = n; hi > 0;)
            {
                int lo = hi - 1;
                while (lo > 0 && keys[lo - 1] == keys[hi - 1])
                {
                    lo--;
                }

                long t = 0;
                for (int r = lo; r < hi; r++)
                {
                    t += y[order[r]] == c ? 1 : 0;
                }

                long f = hi - lo - t;
                area += f * (tp + 0.5 * t);
                tp += t;
                fp += f;
                if (t > 0)
                {
                    precisionSum += t * ((double)tp / (tp + fp));
                }

                hi = lo;
            }

            auc[c] = positives == 0 || negatives == 0 ? double.NaN : area / ((double)positives * negatives);
            ap[c] = positives == 0 ? double.NaN : precisionSum / positives;

            foreach (var (lo, hi) in new EqualMassBins(n, bins))
            {
                double sp = 0, sy = 0;
                for (int r = lo; r < hi; r++)
                {
                    sp += keys[r];
                    sy += y[order[r]] == c ? 1 : 0;
                }

                ace += Math.Abs(sy - sp) / (hi - lo);
                aceBins++;
            }
        }

        return (auc, ap, aceBins == 0 ? double.NaN : ace / aceBins);
    }

    /// <summary>The mean of the non-NaN values (NaN when all are NaN).</summary>
    public static double MeanOfDefined(IReadOnlyList<double> values)
    {
        double sum = 0;
        int count = 0;
        foreach (double v in values)
        {
            if (!double.IsNaN(v))
            {
                sum += v;
                count++;
            }
        }

        return count == 0 ? double.NaN : sum / count;
    }
}
