namespace ClassLoss.Evaluation;

/// <summary>One bin of a reliability diagram.</summary>
/// <param name="Lower">Lower edge (exclusive, except 0 for the first bin).</param>
/// <param name="Upper">Upper edge (inclusive).</param>
/// <param name="Count">Rows whose confidence falls in the bin.</param>
/// <param name="MeanConfidence">Mean confidence of those rows (NaN when empty).</param>
/// <param name="Accuracy">Their accuracy (NaN when empty).</param>
public readonly record struct ReliabilityBin(double Lower, double Upper, long Count, double MeanConfidence, double Accuracy);
