namespace ClassLoss.Evaluation;

/// <summary>Precision, recall, F1 and support of one class (sklearn's <c>precision_recall_fscore_support</c>, average=None, zero_division=0).</summary>
public readonly record struct ClassScores(string Name, double Precision, double Recall, double F1, long Support);
