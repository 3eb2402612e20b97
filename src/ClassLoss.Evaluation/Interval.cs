namespace ClassLoss.Evaluation;

/// <summary>A 95% percentile bootstrap interval.</summary>
public readonly record struct Interval(double Low, double High);
