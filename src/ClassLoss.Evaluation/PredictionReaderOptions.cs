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
}
