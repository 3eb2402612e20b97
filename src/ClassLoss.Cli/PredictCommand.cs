namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss predict --model DIR/model.clsm --out FILE.csv</c>: runs a saved model over one split of the data and
/// writes a CSV that <c>classloss eval --values logits</c> and <c>classloss calibrate</c> read: a header
/// <c>label,0,1,...,K-1</c>, then one row per example with the true class and the K logits.
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model file (model.clsm) written by train, or its directory.", Required = true };
        var data = new Option<string?>("--data") { Description = "default, fashion-mnist or a CSV path (default: the data the model was trained on)." };
        var split = new Option<string>("--split") { Description = "test, validation or train.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "validation", "train");
        var output = new Option<string>("--out") { Description = "CSV file for the labels and logits.", Required = true };
        var threads = Lab.ThreadsOption();
        var command = new Command("predict", "Write the logits of a trained model on a data split as a CSV for eval and calibrate.") { model, data, split, output, threads };
        command.SetAction(p => CliErrors.Run(() =>
        {
            var compute = Lab.ParseThreads(p.GetValue(threads)!);
            return Run(p.GetValue(model)!, p.GetValue(data), p.GetValue(split)!, p.GetValue(output)!, compute);
        }));
        return command;
    }

    /// <summary>Writes the logits; <paramref name="compute"/> bounds the GEMMs of the forward passes.</summary>
    internal static int Run(string modelPath, string? data, string split, string outPath, Compute compute)
    {
        if (Directory.Exists(modelPath))
        {
            modelPath = Path.Combine(modelPath, Checkpoint.FileName);
        }

        if (!File.Exists(modelPath))
        {
            throw new CliException($"--model: {modelPath} does not exist.");
        }

        var checkpoint = Checkpoint.Load(modelPath);
        var s = checkpoint.Settings;
        // The same seed and validation fraction as training, so "validation" is the split the model never saw.
        var splits = Lab.Load(data ?? s.Data, s.Seed, s.Validation, s.Imbalance);
        Dataset set = split switch
        {
            "train" => splits.Train,
            "validation" => splits.Validation ?? throw new CliException("--split validation: the model was trained with --validation 0, so there is no validation split."),
            _ => splits.Test,
        };

        var logits = Logits(checkpoint.Model, set, compute);
        WriteCsv(outPath, logits, set.Labels, set.Classes);
        AnsiConsole.WriteLine($"wrote {outPath}: {set.Count} rows of label + {set.Classes} logits ({split} split of {data ?? s.Data}, {Lab.ThreadsText(compute)}); evaluate with: classloss eval {outPath} --values logits");
        return 0;
    }

    /// <summary>[N, K] logits of <paramref name="model"/> on every row of <paramref name="data"/>, in chunks; the GEMMs use up to <paramref name="compute"/>'s threads.</summary>
    internal static double[] Logits(Mlp model, Dataset data, Compute compute)
    {
        if (model.Inputs != data.Dimension || model.Outputs != data.Classes)
        {
            throw new CliException($"the model takes {model.Inputs} inputs and has {model.Outputs} classes; the data has {data.Dimension} features and {data.Classes} classes.");
        }

        const int Chunk = 1024;
        int k = data.Classes;
        var result = new double[data.Count * k];
        var buffer = new float[Math.Min(Chunk, data.Count) * k];
        for (int start = 0; start < data.Count; start += Chunk)
        {
            int rows = Math.Min(Chunk, data.Count - start);
            model.Forward(data.Features.AsSpan(start * data.Dimension, rows * data.Dimension), rows, buffer, compute);
            for (int i = 0; i < rows * k; i++)
            {
                result[(start * k) + i] = buffer[i];
            }
        }

        return result;
    }

    /// <summary>Writes <c>label,0,...,K-1</c> rows through a temporary file, so a failed write leaves nothing behind.</summary>
    internal static void WriteCsv(string path, ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + ".tmp" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false), 1 << 16))
            {
                w.Write("label");
                for (int c = 0; c < classes; c++)
                {
                    w.Write(',');
                    w.Write(c.ToString(CultureInfo.InvariantCulture));
                }

                w.Write('\n');
                for (int i = 0; i < labels.Length; i++)
                {
                    w.Write(labels[i].ToString(CultureInfo.InvariantCulture));
                    for (int c = 0; c < classes; c++)
                    {
                        w.Write(',');
                        w.Write(logits[(i * classes) + c].ToString("R", CultureInfo.InvariantCulture));
                    }

                    w.Write('\n');
                }
            }

            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}
