namespace ClassLoss.Losses;

/// <summary>
/// scikit-learn's "balanced" class weights, <c>w_c = N / (K n_c)</c> (<c>compute_class_weight("balanced")</c>): each
/// class weighs as much in total as it would with equal counts. A class with no rows gets 0. Its sibling for long-tailed
/// data is <see cref="ClassBalancedWeights"/> (the effective number of samples, Cui et al. 2019).
/// </summary>
public static class InverseFrequencyWeights
{
    /// <summary>The weights for the per-class row counts <paramref name="counts"/> (length K).</summary>
    /// <exception cref="ArgumentException">The counts are empty or one is negative.</exception>
    public static double[] Compute(IReadOnlyList<int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count == 0)
        {
            throw new ArgumentException("counts is empty; expected one count per class.", nameof(counts));
        }

        long total = 0;
        for (int c = 0; c < counts.Count; c++)
        {
            if (counts[c] < 0)
            {
                throw new ArgumentException(FormattableString.Invariant($"counts[{c}] is {counts[c]}; a count cannot be negative."), nameof(counts));
            }

            total += counts[c];
        }

        var w = new double[counts.Count];
        for (int c = 0; c < w.Length; c++)
        {
            w[c] = counts[c] > 0 ? total / ((double)counts.Count * counts[c]) : 0;
        }

        return w;
    }
}
