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
/// <para>Binary files in scikit-learn's convention (the label and one column with the positive class's probability,
/// score or log-probability; <see cref="PredictionReaderOptions.PositiveLabel"/>) are read as K = 2 rows
/// [negative, positive].</para>
/// <para>NumPy: float32/float64 [N, K] C-order predictions (or [N] / [N, 1] in the binary convention) and
/// int32/int64 [N] labels (see <see cref="NpyReader"/>); messages name the file and the row.</para>
/// <para><see cref="PredictionReaderOptions.FirstRow"/> and <see cref="PredictionReaderOptions.EndRow"/> select a
/// range of data rows.</para>
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

    /// <summary>
    /// Opens a prediction file by extension: <c>.npy</c>, <c>.parquet</c>/<c>.pq</c>, Arrow IPC (<c>.arrow</c>,
    /// <c>.arrows</c>, <c>.feather</c>, <c>.ipc</c>), CSV/TSV otherwise. A directory, or a path whose file name
    /// holds <c>*</c> or <c>?</c>, is a set of shards of one format read as one concatenation in ordinal name order
    /// (a directory's files whose names start with '.' or '_' are left out).
    /// </summary>
    public static PredictionReader Open(string path, PredictionReaderOptions? options = null)
    {
        var o = options ?? PredictionReaderOptions.Default;
        if (o.FirstRow < 0 || o.EndRow < o.FirstRow)
        {
            throw new ArgumentException($"The row range {o.FirstRow}:{o.EndRow} is empty or negative; expected 0 <= first <= end.", nameof(options));
        }

        PredictionReader reader = ShardedPredictionReader.IsShards(path) ? new ShardedPredictionReader(path, o) : OpenFile(path, o);
        return o.FirstRow == 0 && o.EndRow is null ? reader : new RowRangeReader(reader, o.FirstRow, o.EndRow);
    }

    private protected static PredictionReader OpenFile(string path, PredictionReaderOptions o)
    {
        if (path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pq", StringComparison.OrdinalIgnoreCase))
        {
            return new ParquetPredictionReader(path, o);
        }

        if (IsArrow(path))
        {
            return new ArrowPredictionReader(path, o);
        }

        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            if (o.LabelsPath is null)
            {
                throw new ArgumentException($"{path} is a .npy prediction array; give the labels as a second .npy file (--labels).", nameof(o));
            }

            return new NpyPredictionReader(path, o.LabelsPath, o);
        }

        return new CsvPredictionReader(path, o);
    }

    private protected static bool IsArrow(string path) =>
        path.EndsWith(".arrow", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".arrows", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".feather", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ipc", StringComparison.OrdinalIgnoreCase);

    /// <summary>Releases the file handles.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the file handles.</summary>
    protected abstract void Dispose(bool disposing);
}
