using System.CommandLine;
using System.Globalization;
using ClassLoss.Losses;
using Spectre.Console;

namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss loss</c>: a calculator that shows every applicable loss, and its gradient, for one example.
/// </summary>
internal static class LossCommand
{
    public static Command Create()
    {
        var targets = new Option<string>("--targets") { Description = "Target: a class index (e.g. 0) or a probability row (e.g. 1,0,0,0,0).", Required = true };
        var probabilities = new Option<string?>("--probabilities") { Description = "Predicted probabilities, comma-separated (e.g. 0.1,0.5,0.1,0.1,0.2)." };
        var logits = new Option<string?>("--logits") { Description = "Predicted logits, comma-separated (instead of --probabilities)." };
        var command = new Command("loss", "Show every applicable loss and its gradient for one example.") { targets, probabilities, logits };
        command.SetAction(parse =>
        {
            Run(parse.GetValue(targets)!, parse.GetValue(probabilities), parse.GetValue(logits));
            return 0;
        });
        return command;
    }

    internal static double[] ParseRow(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new CliException($"{option}: value {i} ('{parts[i]}') is not a number.");
            }
        }

        if (values.Length == 0)
        {
            throw new CliException($"{option}: no values given.");
        }

        return values;
    }

    private static void Run(string targetText, string? probabilityText, string? logitText)
    {
        if ((probabilityText is null) == (logitText is null))
        {
            throw new CliException("give exactly one of --probabilities and --logits.");
        }

        double[] z;
        if (logitText is not null)
        {
            z = ParseRow(logitText, "--logits");
        }
        else
        {
            double[] p = ParseRow(probabilityText!, "--probabilities");
            z = Array.ConvertAll(p, Math.Log);
        }

        int k = z.Length;
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

        bool fromProbabilities = probabilityText is not null;
        double[] softmax = new double[k];
        ClassLoss.Activations.Softmax.Forward<double>(z, k, softmax);
        double[] logp = new double[k];
        ClassLoss.Activations.LogSoftmax.Forward<double>(z, k, logp);
        int hot = Array.IndexOf(t, 1.0);
        bool oneHot = hot >= 0 && t.Count(v => v == 0) == k - 1;
        var sum = new BrierScoreOptions { Reduction = Reduction.Sum };

        var table = new Table().AddColumns("loss", "value", "gradient", "w.r.t.", "convention");
        var g = new double[k];
        void Row(string name, LossResult r, string wrt, string convention) =>
            table.AddRow(Markup.Escape(name), Format(r.Value), Markup.Escape(FormatRow(g)), wrt, Markup.Escape(convention));

        Row("softmax cross-entropy", SoftmaxCrossEntropy.Evaluate<double>(z, t, k, null, g, default), "logits",
            "PyTorch cross_entropy; gradient p - y");
        if (fromProbabilities)
        {
            double[] given = ParseRow(probabilityText!, "--probabilities");
            Row("cross-entropy from probabilities", CrossEntropyFromProbabilities.Evaluate<double>(given, t, k, null, g, default),
                "probabilities", "-Σ y log p, log clamped at -100 (PyTorch)");
            Row("per-class binary CE (sum)", BinaryCrossEntropy.Evaluate<double>(given, t, k, new BinaryCrossEntropyOptions { Reduction = Reduction.Sum }, g, default),
                "probabilities", "seed 002: each output its own Bernoulli");
            Row("Brier score", BrierScore.Evaluate<double>(given, t, k, sum, g, default), "probabilities",
                "Σ_c (p_c - y_c)², Brier 1950 / seed 003");
        }
        else
        {
            Row("per-class sigmoid BCE (sum)", SigmoidBinaryCrossEntropy.Evaluate<double>(z, t, k, new BinaryCrossEntropyOptions { Reduction = Reduction.Sum }, g, default),
                "logits", "PyTorch BCEWithLogits, sigmoid per output");
        }

        Row("Brier score through softmax", SoftmaxBrierScore.Evaluate<double>(z, t, k, sum, g, default), "logits",
            "Σ_c (softmax_c - y_c)²");
        Row("softmax focal (γ=2, α=0.25)", SoftmaxFocal.Evaluate<double>(z, t, k, null, g, default), "logits",
            "Keras CategoricalFocalCrossentropy");
        Row("Poly-1 (ε=1)", PolyLoss.Evaluate<double>(z, t, k, null, g, default), "logits", "Leng et al. 2022: CE + ε(1 - p_t)");
        Row("KL(target ‖ prediction)", KlDivergence.Evaluate<double>(logp, t, k, new KlDivergenceOptions { Reduction = Reduction.Sum }, g, default),
            "log-probabilities", "PyTorch kl_div; 0 log 0 = 0");
        Row("entropy of prediction", Entropy.FromLogits<double>(z, k, null, g, default), "logits", "-Σ p log p (nats)");
        if (oneHot)
        {
            int[] label = [hot];
            Row("multiclass hinge (p=1)", MultiMarginHinge.Evaluate<double>(z, label, k, null, g, default), "logits",
                "PyTorch MultiMarginLoss on the logits");
            Row("sparsemax loss", SparsemaxLoss.Evaluate<double>(z, label, k, null, g, default), "logits", "Martins & Astudillo 2016");
        }

        AnsiConsole.MarkupLine($"K = {k}; softmax of the input = {Markup.Escape(FormatRow(softmax))}");
        AnsiConsole.Write(table);
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
