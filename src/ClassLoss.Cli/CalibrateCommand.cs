namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss calibrate --fit VAL --apply TEST --out FILE</c>: fits a calibrator (temperature, vector, Platt,
/// beta, isotonic or histogram binning; row ranges of one file with --fit-rows / --apply-rows) on validation predictions, applies it to test predictions, prints NLL, Brier and ECE before and after
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
        var method = new Option<string>("--method")
        {
            Description = "temperature, vector, dirichlet (matrix scaling of log-probabilities, ODIR), platt (binary), beta (binary), isotonic (one-vs-rest, sklearn CalibratedClassifierCV) or histogram (equal-width binning).",
            DefaultValueFactory = _ => "temperature",
        };
        method.AcceptOnlyFromAmong("temperature", "vector", "dirichlet", "platt", "beta", "isotonic", "histogram");
        var odirLambda = new Option<double>("--odir-lambda") { Description = "--method dirichlet: ODIR's off-diagonal weight λ.", DefaultValueFactory = _ => 1e-2 };
        var odirMu = new Option<double>("--odir-mu") { Description = "--method dirichlet: ODIR's intercept weight μ.", DefaultValueFactory = _ => 1e-2 };
        var bins = new Option<int>("--bins") { Description = "Bins of --method histogram.", DefaultValueFactory = _ => 15 };
        var positive = EvalCommand.PositiveLabelOption();
        var fitRows = PredictionInput.RowsOption("--fit-rows", "the --fit file");
        var applyRows = PredictionInput.RowsOption("--apply-rows", "the --apply file");
        var labelColumn = new Option<string>("--label-column") { Description = "Name of the label column (CSV/TSV, Parquet, Arrow).", DefaultValueFactory = _ => "label" };
        var values = EvalCommand.ValuesOption(PredictionValues.Logits);
        var fitLabels = new Option<string?>("--fit-labels") { Description = "For a .npy --fit file: the .npy labels." };
        var applyLabels = new Option<string?>("--apply-labels") { Description = "For a .npy --apply file: the .npy labels." };
        var command = new Command("calibrate", "Fit a calibrator on validation predictions and apply it to test predictions.")
        {
            fit, apply, output, calibrator, method, labelColumn, values, fitLabels, applyLabels, positive, fitRows, applyRows, bins, odirLambda, odirMu,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var kind = EvalCommand.ParseValues(parse.GetValue(values)!);
            string label = parse.GetValue(labelColumn)!;
            string outPath = parse.GetValue(output)!;
            string? pos = parse.GetValue(positive);
            return Run(
                PredictionInput.WithRows(new PredictionReaderOptions { LabelColumn = label, Values = kind, LabelsPath = parse.GetValue(fitLabels), PositiveLabel = pos }, parse.GetValue(fitRows), "--fit-rows"),
                parse.GetValue(fit)!,
                PredictionInput.WithRows(new PredictionReaderOptions { LabelColumn = label, Values = kind, LabelsPath = parse.GetValue(applyLabels), PositiveLabel = pos }, parse.GetValue(applyRows), "--apply-rows"),
                parse.GetValue(apply)!,
                outPath,
                parse.GetValue(calibrator) ?? Path.ChangeExtension(outPath, ".calibrator.json"),
                parse.GetValue(method)!,
                parse.GetValue(bins),
                parse.GetValue(odirLambda),
                parse.GetValue(odirMu));
        }));
        return command;
    }

    internal static int Run(PredictionReaderOptions fitOptions, string fitPath, PredictionReaderOptions applyOptions, string applyPath,
        string outPath, string calibratorPath, string method, int bins = 15, double odirLambda = 1e-2, double odirMu = 1e-2)
    {
        foreach (string p in new[] { fitPath, applyPath })
        {
            if (!PredictionInput.Exists(p))
            {
                throw new CliException($"{p} does not exist.");
            }
        }

        // 1. Read the validation set into memory (the fit needs every row several times).
        var (names, logits, labels) = ReadAll(fitPath, fitOptions);
        if (names.Count != 2 && method is "platt" or "beta")
        {
            throw new CliException($"--method {method} is for binary problems; {fitPath} has {names.Count} classes. Use temperature, vector, isotonic or histogram.");
        }

        if (bins < 1)
        {
            throw new CliException("--bins must be >= 1.");
        }

        Calibrator c = method switch
        {
            "vector" => VectorScaling.Fit(logits, labels, names),
            "platt" => PlattScaling.Fit(logits, labels, names),
            "beta" => BetaCalibration.Fit(logits, labels, names),
            "isotonic" => IsotonicCalibration.Fit(logits, labels, names, fitOptions.Values),
            "histogram" => HistogramBinning.Fit(logits, labels, names, bins),
            "dirichlet" => DirichletCalibration.Fit(logits, labels, names, odirLambda, odirMu),
            _ => TemperatureScaling.Fit(logits, labels, names),
        };
        foreach (string w in c.Warnings ?? [])
        {
            PredictionInput.Warn($"{method} fit on {fitPath}: {w}");
        }

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
                var sums = new RowSumCheck(1e-6);
                while (ReadLogits(reader, row, sums, out int y))
                {
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
                    throw new InvalidDataException($"{applyPath} has no data rows.");
                }

                if (sums.Count > 0)
                {
                    PredictionInput.Warn(sums.Describe(testBefore.Rows, "the calibrators read them renormalised (log p, then softmax)."));
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
            CalibrationMethod.Beta => string.Create(CultureInfo.InvariantCulture, $"a = {c.A:G6}, b = {c.B:G6}, c = {c.C:G6}"),
            CalibrationMethod.Isotonic => string.Create(CultureInfo.InvariantCulture, $"{c.Knots!.Sum(x => x.Count)} knots over {c.Knots!.Count} map(s), on {(c.Input == PredictionValues.Logits ? "logits" : "probabilities")}"),
            CalibrationMethod.Dirichlet => string.Create(CultureInfo.InvariantCulture, $"W {names.Count} x {names.Count}, diagonal [{string.Join(", ", Enumerable.Range(0, names.Count).Select(j => EvalCommand.F(c.Matrix![j][j])))}], ODIR lambda = {c.OdirLambda:G3}, mu = {c.OdirMu:G3}"),
            CalibrationMethod.Histogram => string.Create(CultureInfo.InvariantCulture, $"{c.KnotValues![0].Count} bins x {c.KnotValues.Count} map(s)"),
            _ => $"w = [{string.Join(", ", c.Weights!.Select(EvalCommand.F))}], b = [{string.Join(", ", c.Biases!.Select(EvalCommand.F))}]",
        };
        AnsiConsole.WriteLine($"{c.Method} calibration fitted on {fb.Rows} rows ({c.Iterations} iterations): {parameters}");
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
        var sums = new RowSumCheck(1e-6);
        while (ReadLogits(reader, row, sums, out int y))
        {
            logits.AddRange(row);
            labels.Add(y);
        }

        if (labels.Count == 0)
        {
            throw new InvalidDataException($"{path} has no data rows.");
        }

        if (sums.Count > 0)
        {
            PredictionInput.Warn(sums.Describe(labels.Count, "the calibrator is fitted on them renormalised (log p, then softmax); check that the columns are probabilities."));
        }

        return ([.. reader.ClassNames], [.. logits], [.. labels]);
    }

    /// <summary>
    /// Reads the next row into <paramref name="row"/> as logits, as the fit and the apply pass both read them:
    /// probabilities are range-checked and their sums counted in <paramref name="sums"/>, then taken to logs.
    /// </summary>
    private static bool ReadLogits(PredictionReader reader, double[] row, RowSumCheck sums, out int label)
    {
        if (!reader.Read(out label, row))
        {
            return false;
        }

        if (reader.Values == PredictionValues.Probabilities)
        {
            PredictionInput.CheckRange(reader, row);
            sums.Add(reader, row);
        }

        CalibrationInput.ToLogits(reader.Values, row);
        return true;
    }
}
