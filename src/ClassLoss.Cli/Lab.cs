namespace ClassLoss.Cli;

/// <summary>What the lab's commands share: loading data, parsing model specifications and <c>--threads</c>, test metrics of a model.</summary>
internal static class Lab
{
    /// <summary>The three parts of the data.</summary>
    public sealed record Splits(Dataset Train, Dataset? Validation, Dataset Test);

    /// <summary>
    /// <c>default</c> (embedded Fashion-MNIST subset), <c>fashion-mnist</c> (the full set from disk) or a CSV path
    /// (split stratified 70/10/20, standardised with training statistics). A validation part is split off the
    /// training part (stratified, seeded) when <paramref name="validation"/> &gt; 0; <paramref name="imbalance"/> &gt; 1
    /// makes the training part long-tailed (Cui et al. 2019).
    /// </summary>
    public static Splits Load(string data, int seed, double validation, double imbalance)
    {
        if (!(validation >= 0 && validation < 1))
        {
            throw new CliException($"--validation {validation} must lie in [0, 1).");
        }

        Dataset train, test;
        switch (data.ToLowerInvariant())
        {
            case "default":
                (train, test) = DefaultData.Load();
                break;
            case "fashion-mnist":
                (train, test) = DefaultData.LoadFashionMnist();
                break;
            default:
                if (!File.Exists(data))
                {
                    throw new CliException($"--data: '{data}' is not default, fashion-mnist or an existing CSV file.");
                }

                var all = CsvDataset.Read(data);
                var (tr, _, te) = all.StratifiedSplit(0, 0.2, seed);
                train = tr.Standardize();
                test = te.Standardize(tr);
                break;
        }

        Dataset? val = null;
        if (validation > 0)
        {
            (train, val, _) = train.StratifiedSplit(validation, 0, seed);
        }

        if (imbalance > 1)
        {
            train = train.LongTailed(imbalance, seed);
        }

        return new Splits(train, val, test);
    }

    /// <summary>Parses <c>softmax</c> or <c>mlp:W1[,W2...][,relu|tanh]</c>.</summary>
    public static Mlp Model(string spec, int inputs, int classes, int seed)
    {
        string s = spec.Trim().ToLowerInvariant();
        if (s is "softmax" or "linear")
        {
            return new Mlp(inputs, [], classes, Activation.Relu, seed);
        }

        if (!s.StartsWith("mlp", StringComparison.Ordinal))
        {
            throw new CliException($"--model '{spec}': valid models are softmax and mlp:WIDTH[,WIDTH...][,relu|tanh] (e.g. mlp:256).");
        }

        var widths = new List<int>();
        var act = Activation.Relu;
        string rest = s.Length > 3 && s[3] == ':' ? s[4..] : "256";
        foreach (var part in rest.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "relu")
            {
                act = Activation.Relu;
            }
            else if (part == "tanh")
            {
                act = Activation.Tanh;
            }
            else if (int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int w) && w > 0)
            {
                widths.Add(w);
            }
            else
            {
                throw new CliException($"--model '{spec}': '{part}' is not a positive width, relu or tanh.");
            }
        }

        if (widths.Count == 0)
        {
            throw new CliException($"--model '{spec}': give at least one hidden width (e.g. mlp:256).");
        }

        return new Mlp(inputs, widths, classes, act, seed);
    }

    /// <summary>
    /// The one definition of <c>--threads N|auto</c> (a new instance per command): the most threads a GEMM or a fused
    /// float loss kernel may use; <c>auto</c> is <see cref="Environment.ProcessorCount"/>. Read it with
    /// <see cref="ParseThreads"/>, once per command, and pass the <see cref="Compute"/> to what computes.
    /// </summary>
    public static Option<string> ThreadsOption() => new("--threads")
    {
        Description = "Threads for the GEMMs and the fused float loss kernels (calls of >= 32,768 elements): a whole number >= 1, or auto (all cores). Results do not depend on it.",
        HelpName = "N|auto",
        DefaultValueFactory = _ => "1",
    };

    /// <summary>Parses the value of <see cref="ThreadsOption"/> (a whole number ≥ 1 or <c>auto</c>) into the command's compute setting.</summary>
    public static Compute ParseThreads(string text)
    {
        if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return new Compute(Environment.ProcessorCount);
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1
            ? new Compute(n)
            : throw new CliException($"--threads '{text}': give a whole number of threads >= 1, or auto ({Environment.ProcessorCount} here).");
    }

    /// <summary>
    /// Test-set metrics of a trained model (accuracy, balanced accuracy, per-class scores, NLL, Brier, ECE) through the
    /// evaluation accumulator, the same numbers <c>classloss eval</c> gives; the forward passes use <paramref name="compute"/>.
    /// </summary>
    public static MetricsReport TestReport(Mlp net, Dataset test, Compute compute)
    {
        int k = test.Classes;
        double[] logits = PredictCommand.Logits(net, test, compute);
        var names = new string[k];
        for (int c = 0; c < k; c++)
        {
            names[c] = c.ToString(CultureInfo.InvariantCulture);
        }

        var metrics = new Metrics(names, new MetricsOptions { EqualMass = false });
        var p = new double[k];
        for (int i = 0; i < test.Count; i++)
        {
            Metrics.ToProbabilities(PredictionValues.Logits, logits.AsSpan(i * k, k), p, renormalize: false);
            metrics.Add(test.Labels[i], p);
        }

        return metrics.Compute();
    }

    /// <summary>"1 thread", "2 threads": for run headers.</summary>
    public static string ThreadsText(Compute compute) => compute.Threads == 1 ? "1 thread" : compute.Threads.ToString(CultureInfo.InvariantCulture) + " threads";

    public static string F(double v, string format = "0.0000") =>
        double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture);
}
