using System.Diagnostics;
using ClassLoss.Training.Language;
using ClassLoss.Training.Optimizers;

namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss next-token</c>: trains a small next-token model (<see cref="NextTokenModel"/>) on real text with GPT-2's
/// tokenizer (V = 50,257), with the fused linear cross-entropy head, the naive one (materialised logits), or both from
/// the same initialisation; prints loss and perplexity per epoch, the memory each head took, and, for both, how far
/// apart their loss curves are.
/// </summary>
internal static class NextTokenCommand
{
    /// <summary>The command's settings.</summary>
    internal sealed record Settings
    {
        public IReadOnlyList<string> Corpus { get; init; } = [NextTokenCorpus.DebianFortunes];
        public string Head { get; init; } = "both";
        public int Epochs { get; init; } = 3;
        public int BatchSize { get; init; } = 256;
        public int Embedding { get; init; } = 64;
        public int Hidden { get; init; } = 64;
        public int Context { get; init; } = 4;
        public double LearningRate { get; init; } = 3e-3;
        public double Validation { get; init; } = 0.1;
        public int MaxTokens { get; init; }
        public int Seed { get; init; }
        public string Out { get; init; } = "runs/next-token";
    }

    /// <summary>One epoch of one head.</summary>
    internal readonly record struct Epoch(int Number, double TrainLoss, double ValidationLoss, double Seconds)
    {
        public double Perplexity => Math.Exp(ValidationLoss);
    }

    /// <summary>One head's run: its epochs, every step's loss, the bytes its first step allocated, the peak RSS after it.</summary>
    internal sealed record HeadRun(NextTokenHeadKind Kind, IReadOnlyList<Epoch> Epochs, IReadOnlyList<double> StepLosses, long FirstStepBytes, long PeakWorkingSet);

    public static Command Create()
    {
        var corpus = new Option<string[]>("--corpus") { Description = $"Text files or directories (fortune files: entries separated by lines of '%'). Default {NextTokenCorpus.DebianFortunes} (Debian packages fortunes-min or fortunes).", AllowMultipleArgumentsPerToken = true };
        var head = new Option<string>("--head") { Description = "fused (LinearCrossEntropy: never holds the [B, V] logits), naive (materialised logits), or both (same initialisation; compares the loss curves).", DefaultValueFactory = _ => "both" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch-size") { Description = "Tokens per step.", DefaultValueFactory = _ => 256 };
        var embedding = new Option<int>("--embedding") { Description = "Embedding size d.", DefaultValueFactory = _ => 64 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size H (the head's input).", DefaultValueFactory = _ => 64 };
        var context = new Option<int>("--context") { Description = "Previous tokens averaged into the input.", DefaultValueFactory = _ => 4 };
        var lr = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 3e-3 };
        var validation = new Option<double>("--validation") { Description = "Fraction of the documents (the last ones) held out.", DefaultValueFactory = _ => 0.1 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Read documents until this many tokens (0: all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation and shuffling.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Output directory (metrics.csv).", DefaultValueFactory = _ => "runs/next-token" };
        var threads = Lab.ThreadsOption();
        var command = new Command("next-token", "Train a small next-token model on real text (GPT-2 tokenizer, V = 50,257) with the fused or the naive linear cross-entropy head.")
        {
            corpus, head, epochs, batch, embedding, hidden, context, lr, validation, maxTokens, seed, output, threads,
        };
        command.SetAction(p => CliErrors.Run(() =>
        {
            var given = p.GetValue(corpus);
            var settings = new Settings
            {
                Corpus = given is { Length: > 0 } ? given : [NextTokenCorpus.DebianFortunes],
                Head = p.GetValue(head)!,
                Epochs = p.GetValue(epochs),
                BatchSize = p.GetValue(batch),
                Embedding = p.GetValue(embedding),
                Hidden = p.GetValue(hidden),
                Context = p.GetValue(context),
                LearningRate = p.GetValue(lr),
                Validation = p.GetValue(validation),
                MaxTokens = p.GetValue(maxTokens),
                Seed = p.GetValue(seed),
                Out = p.GetValue(output)!,
            };
            return Run(settings, Lab.ParseThreads(p.GetValue(threads)!));
        }));
        return command;
    }

    /// <summary>Runs the command: loads the corpus, trains each head asked for, prints and writes the results.</summary>
    internal static int Run(Settings s, Compute compute)
    {
        var kinds = Heads(s.Head);
        Check(s.Epochs >= 1, $"--epochs {s.Epochs}: give at least 1.");
        Check(s.BatchSize >= 1, $"--batch-size {s.BatchSize}: give at least 1.");
        Check(s.Embedding >= 1 && s.Hidden >= 1 && s.Context >= 1, "--embedding, --hidden and --context must be at least 1.");
        Check(s.LearningRate > 0 && double.IsFinite(s.LearningRate), $"--lr {s.LearningRate.ToString(CultureInfo.InvariantCulture)}: give a finite rate > 0.");
        Check(s.Validation > 0 && s.Validation <= 0.5, $"--validation {s.Validation.ToString(CultureInfo.InvariantCulture)}: give a fraction in (0, 0.5].");
        Check(s.MaxTokens >= 0, $"--max-tokens {s.MaxTokens}: give 0 (all) or more.");
        var corpus = NextTokenCorpus.Load(s.Corpus, s.Validation, s.MaxTokens);
        Console.Out.WriteLine(Invariant($"corpus: {corpus.Files.Length} file(s), {corpus.Documents} documents, {corpus.Train.Length} training and {corpus.Validation.Length} validation tokens (GPT-2 BPE, V = {NextTokenCorpus.Vocabulary})"));
        var probe = new NextTokenModel(NextTokenCorpus.Vocabulary, s.Embedding, s.Hidden, s.Context, NextTokenCorpus.EndOfText, s.Seed);
        Console.Out.WriteLine(Invariant($"model: mean of {s.Context} embeddings (d = {s.Embedding}) -> tanh({s.Hidden}) -> head [{NextTokenCorpus.Vocabulary} x {s.Hidden}], {probe.ParameterCount:N0} parameters; Adam lr {s.LearningRate}, batch {s.BatchSize}, {s.Epochs} epochs, {Lab.ThreadsText(compute)}"));
        var runs = new List<HeadRun>();
        foreach (var kind in kinds)
        {
            var run = Train(corpus, kind, s, compute);
            runs.Add(run);
            foreach (var e in run.Epochs)
            {
                Console.Out.WriteLine(Invariant($"  {Name(kind)} epoch {e.Number,2}: train loss {e.TrainLoss:F5}, validation loss {e.ValidationLoss:F5}, perplexity {e.Perplexity:F1} ({e.Seconds:F1} s)"));
            }

            Console.Out.WriteLine(Invariant($"  {Name(kind)} head memory: its first step allocated {Mib(run.FirstStepBytes)} (naive: the [B, V] logits and their gradient, 2·B·V·4 = {Mib(2L * s.BatchSize * NextTokenCorpus.Vocabulary * 4)}); peak RSS so far {Mib(run.PeakWorkingSet)}"));
        }

        if (runs.Count == 2)
        {
            double steps = MaxDifference(runs[0].StepLosses, runs[1].StepLosses);
            double epochsDiff = Math.Max(
                MaxDifference([.. runs[0].Epochs.Select(e => e.TrainLoss)], [.. runs[1].Epochs.Select(e => e.TrainLoss)]),
                MaxDifference([.. runs[0].Epochs.Select(e => e.ValidationLoss)], [.. runs[1].Epochs.Select(e => e.ValidationLoss)]));
            Console.Out.WriteLine(Invariant($"fused vs naive: largest loss difference {steps:E2} over {runs[0].StepLosses.Count} steps, {epochsDiff:E2} over the epoch losses ({(Math.Max(steps, epochsDiff) <= 1e-5 ? "within" : "NOT within")} 1e-5)"));
        }

        Directory.CreateDirectory(s.Out);
        var csv = new StringBuilder("head,epoch,train_loss,validation_loss,validation_perplexity,seconds,first_step_bytes\n");
        foreach (var run in runs)
        {
            foreach (var e in run.Epochs)
            {
                csv.Append(Invariant($"{Name(run.Kind)},{e.Number},{e.TrainLoss:R},{e.ValidationLoss:R},{e.Perplexity:R},{e.Seconds:F3},{run.FirstStepBytes}\n"));
            }
        }

        string path = Path.Combine(s.Out, "metrics.csv");
        File.WriteAllText(path, csv.ToString());
        Console.Out.WriteLine($"wrote {path}");
        return 0;
    }

    /// <summary>Trains one head from the settings' initialisation and shuffling; the same settings give the same run.</summary>
    internal static HeadRun Train(NextTokenCorpus corpus, NextTokenHeadKind kind, Settings s, Compute compute)
    {
        int v = NextTokenCorpus.Vocabulary;
        var model = new NextTokenModel(v, s.Embedding, s.Hidden, s.Context, NextTokenCorpus.EndOfText, s.Seed);
        var head = new NextTokenHead(kind, v, s.Hidden, compute);
        var adam = new Adam(model.ParameterCount, s.LearningRate);
        var gradients = new float[model.ParameterCount];
        int[] positions = [.. Enumerable.Range(0, corpus.Train.Length)];
        int[] validation = [.. Enumerable.Range(0, corpus.Validation.Length)];
        int batches = (positions.Length + s.BatchSize - 1) / s.BatchSize;
        var random = new Random(s.Seed + 1);
        var epochs = new List<Epoch>();
        var steps = new List<double>();
        // The bytes the first step allocates: the head's buffers (the model's own per-batch buffers are a few KiB).
        long before = GC.GetTotalAllocatedBytes(precise: true);
        model.Loss(corpus.Train, positions.AsSpan(0, Math.Min(s.BatchSize, positions.Length)), head, gradients, compute);
        long firstStep = GC.GetTotalAllocatedBytes(precise: true) - before;
        for (int epoch = 1; epoch <= s.Epochs; epoch++)
        {
            random.Shuffle(positions);
            var clock = Stopwatch.StartNew();
            double sum = 0;
            void Steps(Action? advance)
            {
                for (int b = 0; b < batches; b++)
                {
                    var batch = positions.AsSpan(b * s.BatchSize, Math.Min(s.BatchSize, positions.Length - (b * s.BatchSize)));
                    double loss = model.Loss(corpus.Train, batch, head, gradients, compute);
                    adam.Step(model.Parameters, gradients, s.LearningRate);
                    steps.Add(loss);
                    sum += loss * batch.Length;
                    advance?.Invoke();
                }
            }

            // A progress bar on a terminal; plain lines only (one per epoch, below) when the output is redirected.
            if (AnsiConsole.Profile.Capabilities.Interactive)
            {
                AnsiConsole.Progress().AutoClear(true).Start(ctx =>
                {
                    var task = ctx.AddTask(Invariant($"{Name(kind)} epoch {epoch}/{s.Epochs}"), maxValue: batches);
                    Steps(() => task.Increment(1));
                });
            }
            else
            {
                Steps(null);
            }

            double validationLoss = 0;
            for (int b = 0; b < validation.Length; b += s.BatchSize)
            {
                var batch = validation.AsSpan(b, Math.Min(s.BatchSize, validation.Length - b));
                validationLoss += model.Loss(corpus.Validation, batch, head, default, compute) * batch.Length;
            }

            epochs.Add(new Epoch(epoch, sum / positions.Length, validationLoss / validation.Length, clock.Elapsed.TotalSeconds));
        }

        return new HeadRun(kind, epochs, steps, firstStep, Process.GetCurrentProcess().PeakWorkingSet64);
    }

    private static NextTokenHeadKind[] Heads(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fused" => [NextTokenHeadKind.Fused],
        "naive" => [NextTokenHeadKind.Naive],
        "both" => [NextTokenHeadKind.Fused, NextTokenHeadKind.Naive],
        _ => throw new CliException($"--head '{text}': give fused, naive or both."),
    };

    private static string Name(NextTokenHeadKind kind) => kind == NextTokenHeadKind.Fused ? "fused" : "naive";

    private static string Mib(long bytes) => Invariant($"{bytes / (1024.0 * 1024.0):F1} MiB");

    private static double MaxDifference(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double worst = 0;
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        }

        return worst;
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new CliException(message);
        }
    }
}
