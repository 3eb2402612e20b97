using ClassLoss.Activations;

namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss loss</c>: a calculator that shows every applicable loss, and its gradient, for one example given
/// inline or for every row of a small CSV file (mean over the rows). Every number comes from a core kernel.
/// </summary>
internal static class LossCommand
{
    public static Command Create()
    {
        var targets = new Option<string?>("--targets") { Description = "Target: a class index (e.g. 0) or a probability row (e.g. 1,0,0,0,0)." };
        var probabilities = new Option<string?>("--probabilities") { Description = "Predicted probabilities, comma-separated (e.g. 0.1,0.5,0.1,0.1,0.2)." };
        var logits = new Option<string?>("--logits") { Description = "Predicted logits, comma-separated (instead of --probabilities)." };
        var file = new Option<string?>("--file") { Description = "A CSV with a header: a 'label' column and one column per class (as `classloss predict` writes); losses are averaged over its rows." };
        var values = new Option<string>("--values") { Description = "With --file: probabilities, logits or log-probabilities.", DefaultValueFactory = _ => "probabilities" };
        var lossName = new Option<string?>("--loss") { Description = $"Show only this loss, name[:key=value,...]; names: {string.Join(", ", LossCatalog.Entries.Select(e => e.Name))}." };
        var command = new Command("loss", "Show every applicable loss and its gradient for one example (or the mean over a small file).")
        {
            targets, probabilities, logits, file, values, lossName,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string? path = parse.GetValue(file);
            if (path is not null)
            {
                RunFile(path, parse.GetValue(values)!, parse.GetValue(lossName));
            }
            else
            {
                RunInline(parse.GetValue(targets), parse.GetValue(probabilities), parse.GetValue(logits), parse.GetValue(lossName));
            }

            return 0;
        }));
        return command;
    }

    internal static double[] ParseRow(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var result = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out result[i]))
            {
                throw new CliException($"{option}: value {i} ('{parts[i]}') is not a number.");
            }
        }

        if (result.Length == 0)
        {
            throw new CliException($"{option}: no values given.");
        }

        return result;
    }

    private static void RunInline(string? targetText, string? probabilityText, string? logitText, string? only)
    {
        if (targetText is null)
        {
            throw new CliException("give --targets (with --probabilities or --logits), or --file.");
        }

        if ((probabilityText is null) == (logitText is null))
        {
            throw new CliException("give exactly one of --probabilities and --logits.");
        }

        double[] given = ParseRow(probabilityText ?? logitText!, probabilityText is null ? "--logits" : "--probabilities");
        int k = given.Length;
        double[] t = ParseRow(targetText, "--targets");
        if (t.Length == 1 && k > 1)
        {
            int label = (int)t[0];
            if (label != t[0] || label < 0 || label >= k)
            {
                throw new CliException($"--targets: class index {t[0]} is outside [0, {k}).");
            }

            t = new double[k];
            t[label] = 1;
        }
        else if (t.Length != k)
        {
            throw new CliException($"--targets has {t.Length} values; the prediction has {k}.");
        }

        Show(given, probabilityText is not null, t, k, only);
    }

    private static void RunFile(string path, string valuesText, string? only)
    {
        var kind = valuesText switch
        {
            "probabilities" => PredictionValues.Probabilities,
            "logits" => PredictionValues.Logits,
            "log-probabilities" => PredictionValues.LogProbabilities,
            _ => throw new CliException($"--values: '{valuesText}' is not one of probabilities, logits, log-probabilities."),
        };
        using var reader = PredictionReader.Open(path, new PredictionReaderOptions { Values = kind });
        int k = reader.Classes;
        var given = new List<double>();
        var targets = new List<double>();
        var row = new double[k];
        while (reader.Read(out int label, row))
        {
            if (kind == PredictionValues.LogProbabilities)
            {
                for (int c = 0; c < k; c++)
                {
                    row[c] = Math.Exp(row[c]);
                }
            }

            given.AddRange(row);
            for (int c = 0; c < k; c++)
            {
                targets.Add(c == label ? 1 : 0);
            }
        }

        if (given.Count == 0)
        {
            throw new CliException($"{path}: no rows.");
        }

        AnsiConsole.MarkupLineInterpolated($"{path}: {given.Count / k} rows, K = {k}; values are the mean over rows, the gradient column shows row 1 of the gradient of that mean.");
        Show([.. given], kind != PredictionValues.Logits, [.. targets], k, only);
    }

    /// <summary>
    /// Evaluates every catalogue loss that applies (or only <paramref name="only"/>) on [N, K] predictions (probabilities
    /// or logits) and one-hot or soft targets, with each loss's default options.
    /// </summary>
    private static void Show(double[] given, bool fromProbabilities, double[] t, int k, string? only)
    {
        int n = given.Length / k;
        var example = new LossExample(given, fromProbabilities, t, k);
        var entries = only is null ? LossCatalog.Entries : [LossCatalog.Find(Spec.Parse(only, "loss").Name)];
        var table = new Table().AddColumns("loss", "name", "value", n == 1 ? "gradient" : "gradient (row 1)", "w.r.t.", "convention");
        var g = new double[given.Length];
        foreach (var entry in entries)
        {
            var r = entry.EvaluateExample(example, g, only);
            if (r is null)
            {
                if (only is not null)
                {
                    throw new CliException($"--loss {entry.Name}: {Why(entry, fromProbabilities)}.");
                }

                continue;
            }

            table.AddRow(Markup.Escape(entry.Title), Markup.Escape(entry.Name), Format(r.Value.Value), Markup.Escape(FormatRow(g.AsSpan(0, k))),
                LossCatalog.InputText(entry.Input), Markup.Escape(entry.Convention));
        }

        if (n == 1)
        {
            AnsiConsole.MarkupLine($"K = {k}; softmax of the input = {Markup.Escape(FormatRow(example.Probabilities))}");
        }

        AnsiConsole.Write(table);
    }

    /// <summary>Why an entry gives no value for this example.</summary>
    private static string Why(LossEntry entry, bool fromProbabilities) =>
        entry.Input == LossInput.Probabilities && !fromProbabilities ? "it reads probabilities; give --probabilities"
        : entry.Targets.HasFlag(LossTargetKinds.ClassIndices) && !entry.Targets.HasFlag(LossTargetKinds.Probabilities) && !entry.Targets.HasFlag(LossTargetKinds.Elements)
            ? "it needs a class index (a one-hot target)"
            : "it needs the class counts of training data (use it with train)";

    internal static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    internal static string FormatRow(ReadOnlySpan<double> v)
    {
        var parts = new string[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            parts[i] = v[i].ToString("0.####", CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
