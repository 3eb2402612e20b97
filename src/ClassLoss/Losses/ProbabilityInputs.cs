using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>What the categorical losses over predicted probabilities (<see cref="CrossEntropyFromProbabilities"/>,
/// <see cref="FocalFromProbabilities"/>) check of their input options, written once.</summary>
internal static class ProbabilityInputs
{
    /// <summary>Checks the clamp and its clip bound (<see cref="ClampedLog.CheckOptions"/>) and the prediction rows' sum
    /// tolerance (≥ 0, or NaN to skip the check), naming the option.</summary>
    public static void CheckOptions(ProbabilityClamp clamp, double clipEpsilon, double predictionSumTolerance)
    {
        ClampedLog.CheckOptions(clamp, clipEpsilon);
        Guard.Option(double.IsNaN(predictionSumTolerance) || predictionSumTolerance >= 0, nameof(CrossEntropyFromProbabilitiesOptions.PredictionSumTolerance),
            predictionSumTolerance, "must be >= 0 or NaN");
    }
}
