using System.CommandLine;
using System.Globalization;
using ClassLoss.Activations;
using ClassLoss.Evaluation;
using ClassLoss.Losses;
using Spectre.Console;

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
        var command = new Command("loss", "Show every applicable loss and its gradient for one example (or the mean over a small file).")
        {
            targets, probabilities, logits, file, values,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string? path = parse.GetValue(file);
            if (path is not null)
            {
                RunFile(path, parse.GetValue(values)!);
            }
            else
            {
                RunInline(parse.GetValue(targets), parse.GetValue(probabilities), parse.GetValue(logits));
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

    private static void RunInline(string? targetText, string? probabilityText, string? logitText)
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

        Show(given, probabilityText is not null, t, k);
    }

    private static void RunFile(string path, string valuesText)
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
        Show([.. given], kind != PredictionValues.Logits, [.. targets], k);
    }

    /// <summary>Evaluates every applicable kernel on [N, K] predictions (probabilities or logits) and one-hot or soft targets.</summary>
    private static void Show(double[] given, bool fromProbabilities, double[] t, int k)
    {
        int n = given.Length / k;
        double[] z = fromProbabilities ? Array.ConvertAll(given, Math.Log) : given;
        double[] softmax = new double[z.Length];
        Softmax.Forward<double>(z, k, softmax);
        double[] logp = new double[z.Length];
        LogSoftmax.Forward<double>(z, k, logp);
        int[]? labels = OneHotLabels(t, k);
        var perRow = new BrierScoreOptions { Reduction = Reduction.BatchMean };

        var table = new Table().AddColumns("loss", "value", n == 1 ? "gradient" : "gradient (row 1)", "w.r.t.", "convention");
        var g = new double[z.Length];
        void Row(string name, LossResult r, string wrt, string convention) =>
            table.AddRow(Markup.Escape(name), Format(r.Value), Markup.Escape(FormatRow(g.AsSpan(0, k))), wrt, Markup.Escape(convention));

        Row("softmax cross-entropy", SoftmaxCrossEntropy.Evaluate<double>(z, t, k, null, g, default), "logits",
            "PyTorch cross_entropy; gradient p - y");
        if (fromProbabilities)
        {
            Row("cross-entropy from probabilities", CrossEntropyFromProbabilities.Evaluate<double>(given, t, k, null, g, default),
                "probabilities", "-Σ y log p, log clamped at -100 (PyTorch)");
            Row("per-class binary CE (sum over classes)", BinaryCrossEntropy.Evaluate<double>(given, t, k, new BinaryCrossEntropyOptions { Reduction = Reduction.BatchMean }, g, default),
                "probabilities", "seed 002: each output its own Bernoulli");
            Row("Brier score", BrierScore.Evaluate<double>(given, t, k, perRow, g, default), "probabilities",
                "Σ_c (p_c - y_c)², Brier 1950 / seed 003");
        }
        else
        {
            Row("per-class sigmoid BCE (sum over classes)", SigmoidBinaryCrossEntropy.Evaluate<double>(z, t, k, new BinaryCrossEntropyOptions { Reduction = Reduction.BatchMean }, g, default),
                "logits", "PyTorch BCEWithLogits, sigmoid per output");
        }

        Row("Brier score through softmax", SoftmaxBrierScore.Evaluate<double>(z, t, k, perRow, g, default), "logits",
            "Σ_c (softmax_c - y_c)²");
        Row("softmax focal (γ=2, α=0.25)", SoftmaxFocal.Evaluate<double>(z, t, k, null, g, default), "logits",
            "Keras CategoricalFocalCrossentropy");
        Row("Poly-1 (ε=1)", PolyLoss.Evaluate<double>(z, t, k, null, g, default), "logits", "Leng et al. 2022: CE + ε(1 - p_t)");
        Row("KL(target ‖ prediction)", KlDivergence.Evaluate<double>(logp, t, k, new KlDivergenceOptions { Reduction = Reduction.BatchMean }, g, default),
            "log-probabilities", "PyTorch kl_div; 0 log 0 = 0");
        Row("entropy of prediction", Entropy.FromLogits<double>(z, k, null, g, default), "logits", "-Σ p log p (nats)");
        if (labels is not null)
        {
            Row("multiclass hinge (p=1)", MultiMarginHinge.Evaluate<double>(z, labels, k, null, g, default), "logits",
                "PyTorch MultiMarginLoss on the logits");
            Row("sparsemax loss", SparsemaxLoss.Evaluate<double>(z, labels, k, null, g, default), "logits", "Martins & Astudillo 2016");
        }

        if (n == 1)
        {
            AnsiConsole.MarkupLine($"K = {k}; softmax of the input = {Markup.Escape(FormatRow(softmax))}");
        }

        AnsiConsole.Write(table);
    }

    /// <summary>The class index of every row when every target row is one-hot; otherwise null.</summary>
    private static int[]? OneHotLabels(double[] t, int k)
    {
        var labels = new int[t.Length / k];
        for (int i = 0; i < labels.Length; i++)
        {
            int hot = -1;
            for (int c = 0; c < k; c++)
            {
                double v = t[i * k + c];
                if (v == 1 && hot < 0)
                {
                    hot = c;
                }
                else if (v != 0)
                {
                    return null;
                }
            }

            if (hot < 0)
            {
                return null;
            }

            labels[i] = hot;
        }

        return labels;
    }

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
