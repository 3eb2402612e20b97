namespace ClassLoss.Evaluation;

/// <summary>A metric estimated from a sketch, with bounds that hold the exact value (<see cref="RankingSketch"/>).</summary>
/// <param name="Value">The estimate (the exact value where the sketch's bins separate every pair of distinct scores).</param>
/// <param name="Low">A lower bound of the exact value.</param>
/// <param name="High">An upper bound of the exact value.</param>
public readonly record struct SketchEstimate(double Value, double Low, double High);
