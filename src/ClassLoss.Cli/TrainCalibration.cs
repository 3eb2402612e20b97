namespace ClassLoss.Cli;

/// <summary>
/// <c>train --calibrate</c>: temperature scaling (Guo et al. 2017) fitted on the validation split's logits after
/// training, reported on the test split (NLL, Brier, ECE, accuracy before and after) and saved as
/// <c>calibrator.json</c> in the run directory.
/// </summary>
internal static class TrainCalibration
{
    /// <summary>The calibrator file name in the run directory.</summary>
    public const string FileName = "calibrator.json";

    /// <summary>Test-split scores before and after calibration.</summary>
    internal sealed record Result(Calibrator Calibrator, MetricsReport TestBefore, MetricsReport TestAfter);

    internal static Result Fit(Mlp model, Lab.Splits data, Compute compute)
    {
        if (data.Validation is null || data.Validation.Count == 0)
        {
            throw new CliException("--calibrate needs a validation split to fit on: use --validation > 0.");
        }

        int k = data.Test.Classes;
        var names = Enumerable.Range(0, k).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        var calibrator = TemperatureScaling.Fit(PredictCommand.Logits(model, data.Validation, compute), data.Validation.Labels, names);
        var testLogits = PredictCommand.Logits(model, data.Test, compute);
        var options = new MetricsOptions { EqualMass = false };
        var before = new Metrics(names, options);
        var after = new Metrics(names, options);
        var p0 = new double[k];
        var p1 = new double[k];
        for (int i = 0; i < data.Test.Count; i++)
        {
            var z = testLogits.AsSpan(i * k, k);
            Metrics.ToProbabilities(PredictionValues.Logits, z, p0, false);
            calibrator.Apply(z, p1);
            before.Add(data.Test.Labels[i], p0);
            after.Add(data.Test.Labels[i], p1);
        }

        return new Result(calibrator, before.Compute(), after.Compute());
    }

    internal static Result Run(Mlp model, Lab.Splits data, string outDir, Compute compute)
    {
        var r = Fit(model, data, compute);
        string path = Path.Combine(outDir, FileName);
        r.Calibrator.Save(path);
        var b = r.TestBefore;
        var a = r.TestAfter;
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"temperature scaling fitted on {data.Validation!.Count} validation rows: T = {r.Calibrator.Temperature:G6} (validation NLL {r.Calibrator.FitNllBefore:G6} -> {r.Calibrator.FitNllAfter:G6})"));
        var table = new Table().AddColumns("test split", "before", "after");
        table.AddRow("NLL", EvalCommand.F(b.LogLoss), EvalCommand.F(a.LogLoss));
        table.AddRow("Brier", EvalCommand.F(b.Brier), EvalCommand.F(a.Brier));
        table.AddRow($"ECE ({b.ReliabilityBins.Count} bins)", EvalCommand.F(b.Ece), EvalCommand.F(a.Ece));
        table.AddRow("accuracy", EvalCommand.F(b.Accuracy), EvalCommand.F(a.Accuracy));
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine($"wrote {path}");
        return r;
    }
}
