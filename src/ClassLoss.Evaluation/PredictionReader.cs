namespace ClassLoss.Evaluation;

/// <summary>
/// Streams prediction rows (a class label and K values) from a CSV/TSV file or from a pair of NumPy <c>.npy</c>
/// files, in one pass and constant memory (one line or one row at a time).
/// </summary>
/// <remarks>
/// <para>CSV/TSV: the header names the label column and the K classes (every other column is a class, in order).
/// A label cell is a class name from the header, or else an integer class index in [0, K). Empty cells, NaN,
/// non-numbers, wrong column counts and unknown labels raise <see cref="InvalidDataException"/> naming the file,
/// line and column.</para>
/// <para>NumPy: float32/float64 [N, K] C-order predictions and int32/int64 [N] labels (see <see cref="NpyReader"/>).</para>
/// </remarks>
public abstract class PredictionReader : IDisposable
{
    /// <summary>The class names, in column order (K of them).</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    /// <summary>K.</summary>
    public int Classes => ClassNames.Count;

    /// <summary>What the values are.</summary>
    public PredictionValues Values { get; protected init; }

    /// <summary>Where the reader is, for error messages ("file.csv line 12", "file.npy byte offset 4096").</summary>
    public abstract string Location { get; }

    /// <summary>Reads the next row into <paramref name="values"/> (length K) and returns false at the end of the data.</summary>
    public abstract bool Read(out int label, Span<double> values);

    /// <summary>Opens a prediction file: <c>.npy</c> by extension, CSV/TSV otherwise.</summary>
    public static PredictionReader Open(string path, PredictionReaderOptions? options = null)
    {
        var o = options ?? PredictionReaderOptions.Default;
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            if (o.LabelsPath is null)
            {
                throw new ArgumentException($"{path} is a .npy prediction array; give the labels as a second .npy file (--labels).", nameof(options));
            }

            return new NpyPredictionReader(path, o.LabelsPath, o.Values);
        }

        return new CsvPredictionReader(path, o);
    }

    /// <summary>Releases the file handles.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the file handles.</summary>
    protected abstract void Dispose(bool disposing);
}
