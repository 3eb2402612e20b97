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

        var table = new Table().AddColumns("loss", "value", "gradient w.r.t. logits", "convention");
        var g = new double[k];
        var ce = SoftmaxCrossEntropy.Evaluate<double>(z, t, k, null, g, default);
        table.AddRow("softmax cross-entropy", Format(ce.Value), FormatRow(g), "PyTorch cross_entropy, probability targets");
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
