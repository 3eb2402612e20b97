namespace ClassLoss.Evaluation;

/// <summary>What the K numbers of a prediction row are.</summary>
public enum PredictionValues
{
    /// <summary>Class probabilities (each in [0, 1], rows summing to 1).</summary>
    Probabilities,

    /// <summary>Unnormalised logits; probabilities are <c>softmax(z)</c>.</summary>
    Logits,

    /// <summary>Log-probabilities; probabilities are <c>exp(v)</c>.</summary>
    LogProbabilities,
}
