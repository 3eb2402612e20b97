namespace ClassLoss.Evaluation;

/// <summary>
/// The debiased L2 calibration error of Kumar, Liang and Ma (2019, "Verified Uncertainty Calibration", NeurIPS,
/// arXiv:1909.10155; the estimator is Bröcker 2012 and Ferro and Fricker 2012's), with the reference implementation's
/// binning (p-lambda/verified_calibration, <c>calibration/utils.py</c>: <c>lower_bound_scaling_ce</c>,
/// <c>unbiased_l2_ce</c>, <c>get_calibration_error_uncertainties</c>).
/// </summary>
/// <remarks>
/// <para>Bins: B = 15 equal-mass bins of the predictions, as the reference's <c>get_equal_bins</c>: the sorted
/// predictions cut into parts of <c>⌈n / B⌉</c>, a boundary halfway between one part's last value and the next one's
/// first, the last boundary 1; a prediction goes to the first bin whose boundary is at least it (NumPy's
/// <c>searchsorted</c>, left). Per bin b with <c>n_b</c> predictions of mean <c>p̄_b</c> and outcomes of mean
/// <c>ȳ_b</c>, the plug-in squared error is <c>(p̄_b - ȳ_b)²</c>; the debiased one subtracts the sampling variance of
/// <c>ȳ_b</c>, <c>ȳ_b (1 - ȳ_b) / (n_b - 1)</c> (a bin of fewer than 2 counts 0). The estimate is
/// <c>√max(0, Σ_b (n_b / n) e_b)</c>: the plug-in estimate overstates the L2 error by about <c>√(B / n)</c> when the model
/// is calibrated, the debiased one does not (the paper's Section 5; a test draws calibrated outcomes and sees it).</para>
/// <para>Top-label (<see cref="TopLabel"/>): predictions are the confidences <c>max_c p_c</c>, outcomes whether the
/// top class is right. Marginal (<see cref="Marginal"/>): per class c, predictions <c>p_c</c> and outcomes
/// <c>[y = c]</c>, then <c>√(mean_c CE_c²)</c>. The reference chooses a discrete-output estimator instead when the
/// predictions take few distinct values (<c>is_discrete</c>); these functions always use the equal-mass bins (its
/// scaling-method path).</para>
/// <para><see cref="TopLabelInterval"/>: the reference's bootstrap (<c>bootstrap_uncertainty</c>): the plug-in estimate
/// θ on R resamples of the rows (bins recomputed on each), and the basic (reverse-percentile) interval
/// <c>[2θ - q_97.5, 2θ - q_2.5]</c> around it. The reference passes <c>alpha=0.1</c> where its percentiles take a
/// percentage, so its interval is 99.9% (its documentation says 90%); this one is the 95% interval.</para>
/// </remarks>
public static class DebiasedCalibrationError
{
    /// <summary>The reference's number of equal-mass bins.</summary>
    public const int DefaultBins = 15;

    /// <summary>The top-label debiased L2 calibration error of (confidence, correct) pairs.</summary>
    /// <param name="confidences">The top-class probabilities, each in [0, 1].</param>
    /// <param name="correct">Whether each row's top class is its label.</param>
    /// <param name="bins">B ≥ 1 (default 15).</param>
    /// <exception cref="ArgumentException">Lengths differ, no rows, B &lt; 1, or a confidence outside [0, 1] (naming its row).</exception>
    public static double TopLabel(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> correct, int bins = DefaultBins)
    {
        var (p, y) = Pairs(confidences, correct, bins);
        return Estimate(p, y, bins, debiased: true);
    }

    /// <summary>The plug-in (biased) top-label L2 calibration error, the quantity the bootstrap resamples.</summary>
    /// <inheritdoc cref="TopLabel"/>
    public static double TopLabelPlugIn(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> correct, int bins = DefaultBins)
    {
        var (p, y) = Pairs(confidences, correct, bins);
        return Estimate(p, y, bins, debiased: false);
    }

    /// <summary>The 95% basic bootstrap interval of the top-label L2 calibration error (see the remarks).</summary>
    /// <param name="confidences">The top-class probabilities, each in [0, 1].</param>
    /// <param name="correct">Whether each row's top class is its label.</param>
    /// <param name="resamples">R ≥ 2 resamples of the rows (the reference's 100).</param>
    /// <param name="seed">The resampling seed (<see cref="Random"/> with a seed: reproducible).</param>
    /// <param name="bins">B ≥ 1 (default 15).</param>
    /// <exception cref="ArgumentException">As <see cref="TopLabel"/>, or R &lt; 2.</exception>
    public static Interval TopLabelInterval(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> correct, int resamples = 100, int seed = 0,
        int bins = DefaultBins)
    {
        if (resamples < 2)
        {
            throw new ArgumentException($"resamples is {resamples}; the bootstrap needs at least 2.", nameof(resamples));
        }

        var (p, y) = Pairs(confidences, correct, bins);
        double plugIn = Estimate((double[])p.Clone(), (double[])y.Clone(), bins, debiased: false);
        var rng = new Random(seed);
        int n = p.Length;
        var rp = new double[n];
        var ry = new double[n];
        var estimates = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            for (int i = 0; i < n; i++)
            {
                int j = rng.Next(n);
                rp[i] = p[j];
                ry[i] = y[j];
            }

            estimates[r] = Estimate(rp, ry, bins, debiased: false);
        }

        var q = Metrics.Percentiles(estimates);
        return new Interval(Math.Max(0, (2 * plugIn) - q.High), (2 * plugIn) - q.Low);
    }

    /// <summary>The marginal (class-wise) debiased L2 calibration error of [N, K] probabilities: <c>√(mean_c CE_c²)</c>
    /// with <c>CE_c</c> the debiased error of <c>p_c</c> against <c>[y = c]</c>.</summary>
    /// <param name="probabilities">Row-major [N, K] probabilities, each in [0, 1].</param>
    /// <param name="labels">N class indices in [0, K).</param>
    /// <param name="classes">K ≥ 1.</param>
    /// <param name="bins">B ≥ 1 (default 15).</param>
    /// <exception cref="ArgumentException">Shapes disagree, no rows, a label out of range or a probability outside [0, 1]
    /// (naming its row and column), or B &lt; 1.</exception>
    public static double Marginal(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int classes, int bins = DefaultBins)
    {
        if (classes < 1 || probabilities.Length != labels.Length * (long)classes)
        {
            throw new ArgumentException($"probabilities has {probabilities.Length} values; expected N·K = {labels.Length} x {classes}.", nameof(probabilities));
        }

        CheckBins(labels.Length, bins, nameof(probabilities));
        int n = labels.Length;
        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentException($"labels row {i} is {labels[i]}; expected a class in [0, {classes}).", nameof(labels));
            }
        }

        double squares = 0;
        var p = new double[n];
        var y = new double[n];
        for (int c = 0; c < classes; c++)
        {
            for (int i = 0; i < n; i++)
            {
                double v = probabilities[(i * classes) + c];
                if (!(v >= 0 && v <= 1))
                {
                    throw new ArgumentException($"probabilities row {i}, column {c} is {v}; expected a probability in [0, 1].", nameof(probabilities));
                }

                p[i] = v;
                y[i] = labels[i] == c ? 1 : 0;
            }

            double ce = Estimate(p, y, bins, debiased: true);
            squares += ce * ce;
        }

        return Math.Sqrt(squares / classes);
    }

    private static (double[] P, double[] Y) Pairs(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> correct, int bins)
    {
        if (confidences.Length != correct.Length)
        {
            throw new ArgumentException($"confidences has {confidences.Length} values and correct {correct.Length}; expected one each per row.", nameof(correct));
        }

        CheckBins(confidences.Length, bins, nameof(confidences));
        var p = new double[confidences.Length];
        var y = new double[confidences.Length];
        for (int i = 0; i < p.Length; i++)
        {
            float v = confidences[i];
            if (!(v >= 0 && v <= 1))
            {
                throw new ArgumentException($"confidences row {i} is {v}; expected a probability in [0, 1].", nameof(confidences));
            }

            p[i] = v;
            y[i] = correct[i] ? 1 : 0;
        }

        return (p, y);
    }

    private static void CheckBins(int rows, int bins, string argument)
    {
        if (rows == 0)
        {
            throw new ArgumentException("The batch is empty: the calibration error needs at least one row.", argument);
        }

        if (bins < 1)
        {
            throw new ArgumentException($"bins is {bins}; expected at least 1.", nameof(bins));
        }
    }

    /// <summary>The estimate over the equal-mass bins of <paramref name="p"/> (sorted in place, <paramref name="y"/> with it).</summary>
    private static double Estimate(double[] p, double[] y, int bins, bool debiased)
    {
        Array.Sort(p, y);
        int n = p.Length;
        int part = (int)Math.Ceiling(n / (double)Math.Min(bins, n));
        var bounds = new List<double>();
        for (int start = part; start < n; start += part)
        {
            bounds.Add((p[start - 1] + p[start]) / 2);
        }

        bounds.Add(1.0);
        bounds = [.. bounds.Distinct().Order()];
        double total = 0;
        int b = 0, i = 0;
        while (i < n)
        {
            while (bounds[b] < p[i])
            {
                b++;
            }

            int lo = i;
            double sp = 0, sy = 0;
            for (; i < n && p[i] <= bounds[b]; i++)
            {
                sp += p[i];
                sy += y[i];
            }

            int m = i - lo;
            double mp = sp / m, my = sy / m;
            double e = (mp - my) * (mp - my);
            if (debiased)
            {
                e = m < 2 ? 0 : e - (my * (1 - my) / (m - 1));
            }

            total += m / (double)n * e;
        }

        return Math.Sqrt(Math.Max(total, 0));
    }
}
