namespace ClassLoss.Cli;

/// <summary>
/// What <c>eval</c> and <c>calibrate</c> share about reading prediction files: <c>--rows A:B</c>, the row-sum
/// check that names the first offending lines, the probability range check, and warnings on standard error.
/// </summary>
internal static class PredictionInput
{
    /// <summary>How many offending lines a warning names.</summary>
    public const int Named = 5;

    public static Option<string?> RowsOption(string name, string what) => new(name)
    {
        Description = $"Data rows A:B of {what} (0-based, B exclusive; 'A:' to the end, ':B' from the start): one file split into fit and apply ranges.",
    };

    /// <summary>Parses <c>A:B</c>, <c>A:</c> or <c>:B</c> into the reader options' row range.</summary>
    public static PredictionReaderOptions WithRows(PredictionReaderOptions options, string? rows, string optionName)
    {
        if (rows is null)
        {
            return options;
        }

        int colon = rows.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw new CliException($"{optionName} '{rows}': expected A:B (0-based data rows, B exclusive), A: or :B.");
        }

        string a = rows[..colon].Trim(), b = rows[(colon + 1)..].Trim();
        long first = 0;
        long? end = null;
        if ((a.Length > 0 && !long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out first))
            || (b.Length > 0 && !(long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out long e) && (end = e) is not null)))
        {
            throw new CliException($"{optionName} '{rows}': A and B must be non-negative integers.");
        }

        if (end < first)
        {
            throw new CliException($"{optionName} '{rows}': B must be at least A.");
        }

        return options with { FirstRow = first, EndRow = end };
    }

    /// <summary>A prediction file, a directory of shards or a file-name glob (whose matches the reader lists).</summary>
    public static bool Exists(string path) =>
        File.Exists(path) || Directory.Exists(path) || Path.GetFileName(path).AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>A warning on standard error, one line, never wrapped.</summary>
    public static void Warn(string message) => Console.Error.WriteLine($"warning: {CliErrors.OneLine(message)}");

    /// <summary>Throws naming the file and line (or .npy row and byte offset) when a probability is outside [0, 1].</summary>
    public static void CheckRange(PredictionReader reader, ReadOnlySpan<double> probabilities)
    {
        for (int c = 0; c < probabilities.Length; c++)
        {
            double p = probabilities[c];
            if (!(p >= 0 && p <= 1))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{reader.Location}: class '{reader.ClassNames[c]}' has probability {p:R}, not in [0, 1]; pass --values logits or log-probabilities if the columns are not probabilities."));
            }
        }
    }
}
