namespace ClassLoss.Evaluation;

/// <summary>
/// A directory or a file-name glob of shards read as one concatenation, in ordinal name order, one shard open at a
/// time. The shards must share one format and the same classes; a message names the shard it is about.
/// </summary>
internal sealed class ShardedPredictionReader : PredictionReader
{
    private readonly IReadOnlyList<string> _shards;
    private readonly PredictionReaderOptions _options;
    private readonly IReadOnlyList<string> _classNames;
    private PredictionReader _current;
    private int _index;

    public ShardedPredictionReader(string path, PredictionReaderOptions options)
    {
        _shards = List(path);
        _options = options with { FirstRow = 0, EndRow = null };
        string kind = Kind(_shards[0]);
        foreach (string shard in _shards)
        {
            if (Kind(shard) != kind)
            {
                throw new InvalidDataException($"{path}: the shards mix formats ({_shards[0]} is {kind}, {shard} is {Kind(shard)}); give shards of one format.");
            }
        }

        if (kind == "npy")
        {
            throw new InvalidDataException($"{_shards[0]}: .npy shards are not supported (their labels are a second file); give the .npy predictions and --labels as single files.");
        }

        _current = OpenShard(_shards[0]);
        _classNames = _current.ClassNames;
        Values = _current.Values;
    }

    public override IReadOnlyList<string> ClassNames => _classNames;

    public override string Location => _current.Location;

    /// <summary>Whether a path names shards: an existing directory, or a file name with <c>*</c> or <c>?</c>.</summary>
    public static bool IsShards(string path) =>
        Directory.Exists(path) || (!File.Exists(path) && Path.GetFileName(path).AsSpan().IndexOfAny('*', '?') >= 0);

    /// <summary>The shard files of a directory (its files, less those whose names start with '.' or '_') or of a file-name glob, in ordinal name order.</summary>
    public static IReadOnlyList<string> List(string path)
    {
        string[] files;
        if (Directory.Exists(path))
        {
            files = [.. Directory.EnumerateFiles(path).Where(f => Path.GetFileName(f) is not ['.', ..] and not ['_', ..])];
            if (files.Length == 0)
            {
                throw new InvalidDataException($"{path}: the directory has no shard files.");
            }
        }
        else
        {
            string? directory = Path.GetDirectoryName(path);
            string pattern = Path.GetFileName(path);
            if (!string.IsNullOrEmpty(directory) && directory.AsSpan().IndexOfAny('*', '?') >= 0)
            {
                throw new InvalidDataException($"{path}: wildcards are allowed in the file name only, not in the directory.");
            }

            string dir = string.IsNullOrEmpty(directory) ? "." : directory;
            if (!Directory.Exists(dir))
            {
                throw new InvalidDataException($"{path}: the directory {dir} does not exist.");
            }

            files = [.. Directory.EnumerateFiles(dir, pattern, new EnumerationOptions { MatchType = MatchType.Simple, MatchCasing = MatchCasing.CaseSensitive })
                .Select(f => string.IsNullOrEmpty(directory) ? Path.GetFileName(f) : f)];
            if (files.Length == 0)
            {
                throw new InvalidDataException($"{path}: no files match.");
            }
        }

        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    private static string Kind(string path) =>
        path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? "npy"
        : path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pq", StringComparison.OrdinalIgnoreCase) ? "Parquet"
        : IsArrow(path) ? "Arrow IPC"
        : "CSV/TSV";

    private PredictionReader OpenShard(string shard) => OpenFile(shard, _options);

    public override bool Read(out int label, Span<double> values)
    {
        while (!_current.Read(out label, values))
        {
            if (_index + 1 >= _shards.Count)
            {
                return false;
            }

            _index++;
            string previous = _shards[_index - 1];
            _current.Dispose();
            _current = OpenShard(_shards[_index]);
            if (!_current.ClassNames.SequenceEqual(_classNames))
            {
                throw new InvalidDataException($"{_shards[_index]}: the classes ({string.Join(", ", _current.ClassNames)}) differ from those of {previous} ({string.Join(", ", _classNames)}).");
            }
        }

        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current.Dispose();
        }
    }
}
