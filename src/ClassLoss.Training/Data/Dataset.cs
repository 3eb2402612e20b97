namespace ClassLoss.Training.Data;

/// <summary>
/// An in-memory classification data set: row-major [N, D] float features, N integer labels in [0, K) and,
/// optionally, [N, K] soft labels (probability rows).
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a data set; the arrays are used as given (not copied).</summary>
    public Dataset(float[] features, int dimension, int[] labels, int classes, float[]? softLabels = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (features.Length != (long)labels.Length * dimension)
        {
            throw new ArgumentException($"features has {features.Length} values, expected {labels.Length} rows x {dimension}.", nameof(features));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentException($"label {labels[i]} in row {i} is outside [0, {classes}).", nameof(labels));
            }
        }

        if (softLabels is not null && softLabels.Length != (long)labels.Length * classes)
        {
            throw new ArgumentException($"softLabels has {softLabels.Length} values, expected {labels.Length} x {classes}.", nameof(softLabels));
        }

        Features = features;
        Dimension = dimension;
        Labels = labels;
        Classes = classes;
        SoftLabels = softLabels;
    }

    /// <summary>Row-major [N, D] features.</summary>
    public float[] Features { get; }

    /// <summary>D, the number of features per row.</summary>
    public int Dimension { get; }

    /// <summary>N labels in [0, K).</summary>
    public int[] Labels { get; }

    /// <summary>K, the number of classes.</summary>
    public int Classes { get; }

    /// <summary>Optional row-major [N, K] soft labels.</summary>
    public float[]? SoftLabels { get; }

    /// <summary>N, the number of rows.</summary>
    public int Count => Labels.Length;

    /// <summary>Row <paramref name="i"/>'s features.</summary>
    public ReadOnlySpan<float> Row(int i) => Features.AsSpan(i * Dimension, Dimension);

    /// <summary>The number of rows of each class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[Classes];
        foreach (int y in Labels)
        {
            counts[y]++;
        }

        return counts;
    }

    /// <summary>A new data set with the given rows, in the given order.</summary>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        var x = new float[indices.Length * Dimension];
        var y = new int[indices.Length];
        float[]? soft = SoftLabels is null ? null : new float[indices.Length * Classes];
        for (int r = 0; r < indices.Length; r++)
        {
            int i = indices[r];
            Features.AsSpan(i * Dimension, Dimension).CopyTo(x.AsSpan(r * Dimension));
            y[r] = Labels[i];
            SoftLabels?.AsSpan(i * Classes, Classes).CopyTo(soft.AsSpan(r * Classes));
        }

        return new Dataset(x, Dimension, y, Classes, soft);
    }

    /// <summary>
    /// Min-max scaling of each feature to [0, 1] with the minimum and maximum of <paramref name="reference"/>
    /// (usually the training set; null means this set). Constant features become 0. Returns a new data set.
    /// </summary>
    public Dataset ScaleToUnitRange(Dataset? reference = null)
    {
        var r = reference ?? this;
        CheckDimension(r);
        var min = new double[Dimension];
        var max = new double[Dimension];
        Array.Fill(min, double.PositiveInfinity);
        Array.Fill(max, double.NegativeInfinity);
        for (int i = 0; i < r.Count; i++)
        {
            var row = r.Row(i);
            for (int j = 0; j < Dimension; j++)
            {
                min[j] = Math.Min(min[j], row[j]);
                max[j] = Math.Max(max[j], row[j]);
            }
        }

        var scale = new double[Dimension];
        for (int j = 0; j < Dimension; j++)
        {
            double range = max[j] - min[j];
            scale[j] = range > 0 ? 1.0 / range : 0.0;
        }

        return Affine(min, scale);
    }

    /// <summary>
    /// Standardisation of each feature to mean 0 and standard deviation 1 with the statistics of
    /// <paramref name="reference"/> (null means this set). Constant features become 0. Returns a new data set.
    /// </summary>
    public Dataset Standardize(Dataset? reference = null)
    {
        var r = reference ?? this;
        CheckDimension(r);
        var mean = new double[Dimension];
        var m2 = new double[Dimension];
        for (int i = 0; i < r.Count; i++)
        {
            var row = r.Row(i);
            for (int j = 0; j < Dimension; j++)
            {
                mean[j] += row[j];
            }
        }

        for (int j = 0; j < Dimension; j++)
        {
            mean[j] /= Math.Max(1, r.Count);
        }

        for (int i = 0; i < r.Count; i++)
        {
            var row = r.Row(i);
            for (int j = 0; j < Dimension; j++)
            {
                double d = row[j] - mean[j];
                m2[j] += d * d;
            }
        }

        var scale = new double[Dimension];
        for (int j = 0; j < Dimension; j++)
        {
            double sd = Math.Sqrt(m2[j] / Math.Max(1, r.Count));
            scale[j] = sd > 0 ? 1.0 / sd : 0.0;
        }

        return Affine(mean, scale);
    }

    /// <summary>
    /// A stratified split into train, validation and test parts: within each class the rows are shuffled with
    /// <paramref name="seed"/> and the first <c>round(n_c * validationFraction)</c> go to validation, the next
    /// <c>round(n_c * testFraction)</c> to test, the rest to train. Each part keeps the original row order.
    /// </summary>
    public (Dataset Train, Dataset Validation, Dataset Test) StratifiedSplit(double validationFraction, double testFraction, int seed)
    {
        if (!(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1))
        {
            throw new ArgumentException($"fractions {validationFraction} and {testFraction} must be >= 0 and sum to less than 1.", nameof(validationFraction));
        }

        var rng = new Random(seed);
        var train = new List<int>();
        var val = new List<int>();
        var test = new List<int>();
        foreach (var rows in RowsByClass())
        {
            rng.Shuffle(rows);
            int nv = (int)Math.Round(rows.Length * validationFraction);
            int nt = (int)Math.Round(rows.Length * testFraction);
            val.AddRange(rows.AsSpan(0, nv));
            test.AddRange(rows.AsSpan(nv, nt));
            train.AddRange(rows.AsSpan(nv + nt));
        }

        train.Sort();
        val.Sort();
        test.Sort();
        return (Subset([.. train]), Subset([.. val]), Subset([.. test]));
    }

    /// <summary>
    /// A long-tailed subset with imbalance ratio ρ = n_max / n_min, as in Cui et al., "Class-Balanced Loss Based on
    /// Effective Number of Samples" (CVPR 2019): class c keeps <c>n_c = floor(n_max * ρ^(-c/(K-1)))</c> rows
    /// (at least 1), where n_max is the size of the smallest class, drawn without replacement with
    /// <paramref name="seed"/>. Rows keep their original order.
    /// </summary>
    public Dataset LongTailed(double imbalanceRatio, int seed)
    {
        if (!(imbalanceRatio >= 1) || double.IsInfinity(imbalanceRatio))
        {
            throw new ArgumentException($"imbalance ratio {imbalanceRatio} must be finite and >= 1.", nameof(imbalanceRatio));
        }

        var byClass = RowsByClass();
        int nMax = int.MaxValue;
        foreach (var rows in byClass)
        {
            nMax = Math.Min(nMax, rows.Length);
        }

        var rng = new Random(seed);
        var keep = new List<int>();
        for (int c = 0; c < Classes; c++)
        {
            int nc = Math.Max(1, (int)Math.Floor(nMax * Math.Pow(imbalanceRatio, -(double)c / (Classes - 1))));
            var rows = byClass[c];
            rng.Shuffle(rows);
            keep.AddRange(rows.AsSpan(0, Math.Min(nc, rows.Length)));
        }

        keep.Sort();
        return Subset([.. keep]);
    }

    private int[][] RowsByClass()
    {
        var counts = ClassCounts();
        var rows = new int[Classes][];
        var fill = new int[Classes];
        for (int c = 0; c < Classes; c++)
        {
            rows[c] = new int[counts[c]];
        }

        for (int i = 0; i < Count; i++)
        {
            int y = Labels[i];
            rows[y][fill[y]++] = i;
        }

        return rows;
    }

    private Dataset Affine(double[] shift, double[] scale)
    {
        var x = new float[Features.Length];
        for (int i = 0; i < Count; i++)
        {
            for (int j = 0; j < Dimension; j++)
            {
                int k = (i * Dimension) + j;
                x[k] = (float)((Features[k] - shift[j]) * scale[j]);
            }
        }

        return new Dataset(x, Dimension, Labels, Classes, SoftLabels);
    }

    private void CheckDimension(Dataset reference)
    {
        if (reference.Dimension != Dimension)
        {
            throw new ArgumentException($"reference has {reference.Dimension} features, this set has {Dimension}.", nameof(reference));
        }
    }
}
