namespace ClassLoss.Cli.Experiments;

/// <summary>
/// The experiments' uncertainty: a mean with its 95% Student-t interval over seeds, and the paired difference of two
/// losses run on the same seeds (the interval of the mean of the per-seed differences, which removes what the seed
/// does to both).
/// </summary>
internal static class Statistics
{
    // The 0.975 quantile of Student's t for 1..30 degrees of freedom (any statistics table, e.g. NIST/SEMATECH
    // e-Handbook of Statistical Methods, 1.3.6.7.2 "Critical values of the Student's t distribution").
    private static readonly double[] T975 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    /// <summary>A mean over <see cref="Count"/> values with its 95% interval (NaN bounds below 2 values).</summary>
    public readonly record struct Interval(double Mean, double Low, double High, int Count)
    {
        /// <summary>"mean [low, high]" in <paramref name="format"/> (the mean alone below 2 values).</summary>
        public string Format(string format) => Count < 2 || double.IsNaN(Low)
            ? Mean.ToString(format, CultureInfo.InvariantCulture)
            : $"{Mean.ToString(format, CultureInfo.InvariantCulture)} [{Low.ToString(format, CultureInfo.InvariantCulture)}, {High.ToString(format, CultureInfo.InvariantCulture)}]";
    }

    /// <summary>The 0.975 quantile of Student's t with <paramref name="df"/> ≥ 1 degrees of freedom: the table to 30,
    /// then the Cornish–Fisher expansion around the normal quantile 1.959964 (error below 1e-4 there).</summary>
    public static double TQuantile975(int df)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(df, 1);
        if (df <= T975.Length)
        {
            return T975[df - 1];
        }

        const double z = 1.959963984540054;
        double z3 = z * z * z, z5 = z3 * z * z;
        return z + ((z3 + z) / (4.0 * df)) + (((5 * z5) + (16 * z3) + (3 * z)) / (96.0 * df * df));
    }

    /// <summary>The mean of <paramref name="values"/> with its 95% t interval <c>mean ± t · s / √n</c>.</summary>
    public static Interval MeanInterval(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int n = values.Count;
        if (n == 0)
        {
            return new Interval(double.NaN, double.NaN, double.NaN, 0);
        }

        double mean = values.Average();
        if (n < 2)
        {
            return new Interval(mean, double.NaN, double.NaN, n);
        }

        double squares = values.Sum(v => (v - mean) * (v - mean));
        double half = TQuantile975(n - 1) * Math.Sqrt(squares / (n - 1) / n);
        return new Interval(mean, mean - half, mean + half, n);
    }

    /// <summary>The interval of the mean of <c>a_i − b_i</c> (the same seeds in the same order on both sides).</summary>
    public static Interval PairedDifference(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"paired values: {a.Count} against {b.Count}; expected one per seed on both sides.", nameof(b));
        }

        return MeanInterval([.. a.Select((x, i) => x - b[i])]);
    }
}
