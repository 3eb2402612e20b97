namespace ClassLoss.Evaluation;

/// <summary>Options of <see cref="PredictionReader"/>.</summary>
public sealed record PredictionReaderOptions
{
    /// <summary>The defaults: label column "label", probabilities.</summary>
    public static PredictionReaderOptions Default { get; } = new();

    /// <summary>Name of the label column in a CSV/TSV header (default "label"; compared case-insensitively).</summary>
    public string LabelColumn { get; init; } = "label";

    /// <summary>What the K value columns hold (default probabilities).</summary>
    public PredictionValues Values { get; init; } = PredictionValues.Probabilities;

    /// <summary>
    /// For a <c>.npy</c> prediction file: the <c>.npy</c> file with the N integer labels (int32 or int64). Required
    /// for <c>.npy</c> predictions, ignored for CSV/TSV.
    /// </summary>
    public string? LabelsPath { get; init; }

    /// <summary>Field separator for text files; null detects it (tab for <c>.tsv</c> or a header with a tab, else comma).</summary>
    public char? Separator { get; init; }

    /// <summary>
    /// scikit-learn's <c>pos_label</c> for a file in its binary convention (the label and one column holding the
    /// positive class's probability, score or log-probability; a <c>.npy</c> of shape [N] or [N, 1]): the label of
    /// the positive class (default "1"). Every other label is the negative class, of which there may be one.
    /// Refused for files with K ≥ 2 class columns.
    /// </summary>
    public string? PositiveLabel { get; init; }

    /// <summary>The negative class's name in the binary convention (default "0" when the positive label is "1", else "not POSITIVE").</summary>
    public string? NegativeLabel { get; init; }

    /// <summary>
    /// The first data row to read (0-based, counting data rows only, not the header or blank lines); rows before it
    /// are skipped. Default 0.
    /// </summary>
    public long FirstRow { get; init; }

    /// <summary>The data row to stop before (exclusive, 0-based); null reads to the end. With <see cref="FirstRow"/>,
    /// one file splits into fit and apply ranges (<c>--rows A:B</c>).</summary>
    public long? EndRow { get; init; }
}
