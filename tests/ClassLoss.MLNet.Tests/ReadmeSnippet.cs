// README.md's ML.NET example, compiled here and run by ReadmeSnippetTests, which also checks that README.md holds the
// text between each "snippet:begin" and "snippet:end" marker verbatim (dedented, the regions joined by blank lines).
// snippet:begin
using ClassLoss.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
// snippet:end

namespace ClassLoss.MLNet.Tests;

/// <summary>The README's ML.NET example: ML.NET's SGD trainer with our focal loss on a synthetic binary task.</summary>
internal static class ReadmeSnippet
{
    /// <summary>Runs the example and returns its test accuracy.</summary>
    public static double Run()
    {
        // snippet:begin
        var random = new Random(1);
        Row Draw() { float a = random.NextSingle(), b = random.NextSingle(); return new Row { Features = [a, b], Label = a + b > 1 }; }
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 1000).Select(_ => Draw()).ToList());
        var test = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 300).Select(_ => Draw()).ToList());
        var trainer = ml.BinaryClassification.Trainers.SgdNonCalibrated(
            new SgdNonCalibratedTrainer.Options { LossFunction = new ClassLossFocal(gamma: 2, alpha: 0.5) });
        var metrics = ml.BinaryClassification.EvaluateNonCalibrated(trainer.Fit(train).Transform(test));
        // snippet:end
        return metrics.Accuracy;
    }
}

// snippet:begin
public sealed class Row
{
    [VectorType(2)] public float[] Features { get; set; } = [];
    public bool Label { get; set; }
}
// snippet:end
