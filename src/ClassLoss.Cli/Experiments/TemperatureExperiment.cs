using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>
/// Section 7 (seed 000 §1.3): the softmax temperature as a calibration knob. Seed 000 multiplies the logits by a
/// constant (below 1 flatter, above 1 sharper); temperature scaling (Guo et al. 2017) fits that one constant on held-out
/// data. Here on the lab's own CE models, one per seed: T fitted on a validation split, test NLL and ECE before and after.
/// </summary>
internal static class TemperatureExperiment
{
    /// <summary>Runs the section, appends it to <paramref name="md"/>, writes its plot and returns the verdict.</summary>
    public static string Run(ReportSection section, ExperimentSettings s, ExperimentData data, StringBuilder md)
    {
        var test = data.Subset.Test;
        // Each seed holds out its own stratified 20% of the training rows for validation.
        var splits = s.SeedList.Select(seed =>
        {
            var (train, validation, _) = data.Subset.Train.StratifiedSplit(0.2, 0, seed);
            return new Lab.Splits(train, validation, test);
        }).ToArray();
        var trainers = TrainAll(s, [.. splits.Select((split, i) => new RunSpec(split, "ce", "sgd:lr=0.1,momentum=0.9", "cosine", s.SeedList[i]))]);
        var results = trainers.Select((t, i) => TrainCalibration.Fit(t.Model, splits[i], s.Compute)).ToArray();
        md.AppendLine("## 7. Temperature as a calibration knob (seed 000 §1.3)");
        md.AppendLine();
        md.AppendLine(Invariant($"Claim (seed 000 §1.3): multiplying the logits by a constant makes the softmax flatter (< 1) or sharper (> 1) without changing the argmax; fitted on held-out data (temperature scaling, Guo et al. 2017: softmax(z / T), T minimising the validation NLL), it calibrates a trained model. Model `{s.Model}` trained with ce (SGD lr 0.1, momentum 0.9, cosine schedule) on 80% of the training rows; T fitted on the other 20% (stratified, per seed); test split {test.Count} rows; ECE with 15 equal-width bins. Over {s.Seeds} seeds:"));
        md.AppendLine();
        Table(md, ["", "test NLL", "test ECE", "test accuracy"],
        [
            ["before (T = 1)", Statistics.MeanInterval([.. results.Select(r => r.TestBefore.LogLoss)]).Format("0.0000"), Statistics.MeanInterval([.. results.Select(r => r.TestBefore.Ece)]).Format("0.0000"), Statistics.MeanInterval([.. results.Select(r => r.TestBefore.Accuracy)]).Format("0.000")],
            ["after (fitted T)", Statistics.MeanInterval([.. results.Select(r => r.TestAfter.LogLoss)]).Format("0.0000"), Statistics.MeanInterval([.. results.Select(r => r.TestAfter.Ece)]).Format("0.0000"), Statistics.MeanInterval([.. results.Select(r => r.TestAfter.Accuracy)]).Format("0.000")],
        ]);
        md.AppendLine();
        double[] temperatures = [.. results.Select(r => r.Calibrator.Temperature ?? double.NaN)];
        string reading = temperatures.All(t => t > 1) ? " (all above 1: the trained models were over-confident)" : temperatures.All(t => t < 1) ? " (all below 1: the trained models were under-confident)" : string.Empty;
        md.AppendLine(Invariant($"Fitted temperatures: {string.Join(", ", temperatures.Select(t => Lab.F(t, "0.000")))}{reading}. Accuracy is unchanged by construction (the argmax of z / T is that of z)."));
        md.AppendLine();
        md.AppendLine($"![test NLL and ECE before and after]({section.Plot})");
        md.AppendLine();
        string verdict = AppendComparisons(md,
        [
            new Comparison("after vs before", "test NLL", false, [.. results.Select(r => r.TestAfter.LogLoss)], [.. results.Select(r => r.TestBefore.LogLoss)]),
            new Comparison("after vs before", "test ECE", false, [.. results.Select(r => r.TestAfter.Ece)], [.. results.Select(r => r.TestBefore.Ece)]),
        ]);
        AppendVerdict(md, verdict);
        double[] xs = [.. Enumerable.Range(0, s.Seeds).Select(i => (double)s.SeedList[i])];
        SavePlot(s, section.Plot,
        [
            new("test ECE before", xs, [.. results.Select(r => r.TestBefore.Ece)]),
            new("test ECE after temperature scaling", xs, [.. results.Select(r => r.TestAfter.Ece)]),
        ], "seed", "test ECE", "temperature scaling per seed", xTicks: (xs, [.. s.SeedList.Select(x => x.ToString(CultureInfo.InvariantCulture))]));
        return verdict;
    }
}
