namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss calibrate --fit VAL --apply TEST --out FILE</c>: fits a calibrator (temperature, vector or Platt
/// scaling) on validation predictions, applies it to test predictions, prints NLL, Brier and ECE before and after
/// on both, writes the calibrated test probabilities and the calibrator JSON. Nothing is written when any step fails:
/// both outputs go to temporary files that are moved into place only at the end.
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var fit = new Option<string>("--fit") { Description = "Validation predictions to fit the calibrator on (CSV/TSV or .npy).", Required = true };
        var apply = new Option<string>("--apply") { Description = "Test predictions to calibrate (same classes).", Required = true };
        var output = new Option<string>("--out") { Description = "CSV file for the calibrated test probabilities.", Required = true };
        var calibrator = new Option<string?>("--calibrator") { Description = "Where to save the calibrator JSON (default: OUT with extension .calibrator.json)." };
        var method = new Option<string>("--method") { Description = "temperature, vector or platt (binary only).", DefaultValueFactory = _ => "temperature" };
        method.AcceptOnlyFromAmong("temperature", "vector", "platt");
        var labelColumn = new Option<string>("--label-column") { Description = "Name of the label column (CSV/TSV).", DefaultValueFactory = _ => "label" };
        var values = EvalCommand.ValuesOption(PredictionValues.Logits);
        var fitLabels = new Option<string?>("--fit-labels") { Description = "For a .npy --fit file: the .npy labels." };
        var applyLabels = new Option<string?>("--apply-labels") { Description = "For a .npy --apply file: the .npy labels." };
        var command = new Command("calibrate", "Fit a calibrator on validation predictions and apply it to test predictions.")
        {
            fit, apply, output, calibrator, method, labelColumn, values, fitLabels, applyLabels,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var kind = EvalCommand.ParseValues(parse.GetValue(values)!);
            string label = parse.GetValue(labelColumn)!;
            string outPath = parse.GetValue(output)!;
            return Run(
                new PredictionReaderOptions { LabelColumn = label, Values = kind, LabelsPath = parse.GetValue(fitLabels) },
                parse.GetValue(fit)!,
                new PredictionReaderOptions { LabelColumn = label, Values = kind, LabelsPath = parse.GetValue(applyLabels) },
                parse.GetValue(apply)!,
                outPath,
                parse.GetValue(calibrator) ?? Path.ChangeExtension(outPath, ".calibrator.json"),
                parse.GetValue(method)!);
        }));
        return command;
    }

    internal static int Run(PredictionReaderOptions fitOptions, string fitPath, PredictionReaderOptions applyOptions, string applyPath,
        string outPath, string calibratorPath, string method)
    {
        foreach (string p in new[] { fitPath, applyPath })
        {
            if (!File.Exists(p))
            {
                throw new CliException($"{p} does not exist.");
            }
        }

        // 1. Read the validation set into memory (the fit needs every row several times).
        var (names, logits, labels) = ReadAll(fitPath, fitOptions);
        Calibrator c = method switch
        {
            "vector" => VectorScaling.Fit(logits, labels, names),
            "platt" => PlattScaling.Fit(logits, labels, names),
            _ => TemperatureScaling.Fit(logits, labels, names),
        };

        var noEqualMass = new MetricsOptions { EqualMass = false };
        var fitBefore = new Metrics(names, noEqualMass);
        var fitAfter = new Metrics(names, noEqualMass);
        int k = names.Count;
        var p0 = new double[k];
        var p1 = new double[k];
        for (int i = 0; i < labels.Length; i++)
        {
            var z = logits.AsSpan(i * k, k);
            Metrics.ToProbabilities(PredictionValues.Logits, z, p0, false);
            c.Apply(z, p1);
            fitBefore.Add(labels[i], p0);
            fitAfter.Add(labels[i], p1);
        }

        // 2. Stream the test set: calibrate each row and write it to a temporary file.
        string outDir = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
        string tmpOut = Path.Combine(outDir, "." + Path.GetFileName(outPath) + ".tmp" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        string tmpCalibrator = calibratorPath + ".tmp" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var testBefore = new Metrics(names, noEqualMass);
        var testAfter = new Metrics(names, noEqualMass);
        try
        {
            using (var reader = PredictionReader.Open(applyPath, applyOptions))
            using (var writer = new StreamWriter(tmpOut, false, new UTF8Encoding(false), 1 << 16))
            {
                if (!reader.ClassNames.SequenceEqual(names))
                {
                    throw new InvalidDataException($"{applyPath} has classes ({string.Join(", ", reader.ClassNames)}) but {fitPath} has ({string.Join(", ", names)}).");
                }

                writer.Write(fitOptions.LabelColumn);
                foreach (string name in names)
                {
                    writer.Write(',');
                    writer.Write(name);
                }

                writer.Write('\n');
                var row = new double[k];
                while (reader.Read(out int y, row))
                {
                    CalibrationInput.ToLogits(reader.Values, row);
                    Metrics.ToProbabilities(PredictionValues.Logits, row, p0, false);
                    c.Apply(row, p1);
                    testBefore.Add(y, p0);
                    testAfter.Add(y, p1);
                    writer.Write(names[y]);
                    foreach (double p in p1)
                    {
                        writer.Write(',');
                        writer.Write(p.ToString("R", CultureInfo.InvariantCulture));
                    }

                    writer.Write('\n');
                }

                if (testBefore.Rows == 0)
                {
                    throw new InvalidDataException($"{applyPath} has a header but no data rows.");
                }
            }

            File.WriteAllText(tmpCalibrator, c.ToJson());
            File.Move(tmpOut, outPath, overwrite: true);
            File.Move(tmpCalibrator, calibratorPath, overwrite: true);
        }
        finally
        {
            File.Delete(tmpOut);
            File.Delete(tmpCalibrator);
        }

        var fb = fitBefore.Compute();
        var fa = fitAfter.Compute();
        var tb = testBefore.Compute();
        var ta = testAfter.Compute();
        string parameters = c.Method switch
        {
            CalibrationMethod.Temperature => string.Create(CultureInfo.InvariantCulture, $"T = {c.Temperature:G6}"),
            CalibrationMethod.Platt => string.Create(CultureInfo.InvariantCulture, $"a = {c.A:G6}, b = {c.B:G6}"),
            _ => $"w = [{string.Join(", ", c.Weights!.Select(EvalCommand.F))}], b = [{string.Join(", ", c.Biases!.Select(EvalCommand.F))}]",
        };
        AnsiConsole.WriteLine($"{c.Method} scaling fitted on {fb.Rows} rows ({c.Iterations} iterations): {parameters}");
        var table = new Table().AddColumns("metric", "fit before", "fit after", "apply before", "apply after");
        table.AddRow("NLL", EvalCommand.F(fb.LogLoss), EvalCommand.F(fa.LogLoss), EvalCommand.F(tb.LogLoss), EvalCommand.F(ta.LogLoss));
        table.AddRow("Brier", EvalCommand.F(fb.Brier), EvalCommand.F(fa.Brier), EvalCommand.F(tb.Brier), EvalCommand.F(ta.Brier));
        table.AddRow($"ECE ({fb.ReliabilityBins.Count} bins)", EvalCommand.F(fb.Ece), EvalCommand.F(fa.Ece), EvalCommand.F(tb.Ece), EvalCommand.F(ta.Ece));
        table.AddRow("accuracy", EvalCommand.F(fb.Accuracy), EvalCommand.F(fa.Accuracy), EvalCommand.F(tb.Accuracy), EvalCommand.F(ta.Accuracy));
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine($"calibrated probabilities: {outPath} ({tb.Rows} rows); calibrator: {calibratorPath}");
        return 0;
    }

    /// <summary>Reads a whole prediction file as logits (probabilities become log-probabilities).</summary>
    internal static (IReadOnlyList<string> Names, double[] Logits, int[] Labels) ReadAll(string path, PredictionReaderOptions options)
    {
        using var reader = PredictionReader.Open(path, options);
        int k = reader.Classes;
        var logits = new List<double>();
        var labels = new List<int>();
        var row = new double[k];
        while (reader.Read(out int y, row))
        {
            CalibrationInput.ToLogits(reader.Values, row);
            logits.AddRange(row);
            labels.Add(y);
        }

        if (labels.Count == 0)
        {
            throw new InvalidDataException($"{path} has a header but no data rows.");
        }

        return ([.. reader.ClassNames], [.. logits], [.. labels]);
    }
}
