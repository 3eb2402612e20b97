using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet.Tests;

/// <summary>Named configurations of every adapter, for theories (xunit shows the name).</summary>
public static class LossCases
{
    /// <summary>Every loss with the kinks of its derivative, as scores where central differences must not be taken.</summary>
    public static readonly Dictionary<string, (IClassificationLoss Loss, double[] Kinks)> All = new()
    {
        ["log"] = (new ClassLossLogLoss(), []),
        ["log pw=3"] = (new ClassLossLogLoss(positiveWeight: 3), []),
        ["log eps=0.2"] = (new ClassLossLogLoss(labelSmoothing: 0.2), []),
        ["log pw=0.5 eps=0.1"] = (new ClassLossLogLoss(positiveWeight: 0.5, labelSmoothing: 0.1), []),
        ["focal"] = (new ClassLossFocal(), []),
        ["focal gamma=0.5 alpha=0.7"] = (new ClassLossFocal(gamma: 0.5, alpha: 0.7), []),
        ["focal gamma=2 no alpha"] = (new ClassLossFocal(gamma: 2, applyClassBalancing: false), []),
        ["focal gamma=0"] = (new ClassLossFocal(gamma: 0), []),
        ["focal gamma=3.5 eps=0.1"] = (new ClassLossFocal(gamma: 3.5, labelSmoothing: 0.1), []),
        ["hinge"] = (new ClassLossHinge(), [1]),
        ["hinge m=0.5"] = (new ClassLossHinge(margin: 0.5), [0.5]),
        ["squared hinge"] = (new ClassLossSquaredHinge(), [1]),
        ["squared hinge m=2"] = (new ClassLossSquaredHinge(margin: 2), [2]),
        ["smoothed hinge"] = (new ClassLossSmoothedHinge(), [1, 0]),
        ["smoothed hinge gamma=0.3"] = (new ClassLossSmoothedHinge(smoothing: 0.3), [1, 0.7]),
        ["smoothed hinge gamma=2 m=0.5"] = (new ClassLossSmoothedHinge(smoothing: 2, margin: 0.5), [0.5, -1.5]),
    };

    /// <summary>The losses with an SDCA dual.</summary>
    public static readonly Dictionary<string, ISupportSdcaClassificationLoss> Sdca =
        All.Where(e => e.Value.Loss is ISupportSdcaClassificationLoss)
           .ToDictionary(e => e.Key, e => (ISupportSdcaClassificationLoss)e.Value.Loss);

    public static TheoryData<string> AllNames => [.. All.Keys];

    public static TheoryData<string> SdcaNames => [.. Sdca.Keys];

    /// <summary>The losses whose dual step is the exact coordinate maximiser (every SDCA loss but the log loss).</summary>
    public static TheoryData<string> ExactStepNames => [.. Sdca.Keys.Where(k => !k.StartsWith("log", StringComparison.Ordinal))];

    public static TheoryData<string> LogNames => [.. Sdca.Keys.Where(k => k.StartsWith("log", StringComparison.Ordinal))];

    /// <summary>Both labels as ML.NET hands them (1 for true, 0 for false).</summary>
    public static readonly float[] Labels = [0f, 1f];
}
