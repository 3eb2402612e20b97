using ClassLoss.Training.Optimizers;

namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss train</c>: trains softmax regression or an MLP with any loss, prints a per-epoch table and writes
/// <c>metrics.csv</c> and the model file (a checkpoint after every epoch; <c>--resume DIR</c> continues it).
/// </summary>
internal static class TrainCommand
{
    /// <summary>The options <c>train</c> and <c>compare</c> share.</summary>
    internal sealed class Common
    {
        public Option<string> Data { get; } = new("--data") { Description = "default (embedded Fashion-MNIST subset), fashion-mnist (full, from disk) or a CSV path (label in the last column).", DefaultValueFactory = _ => "default" };
        public Option<string> Model { get; } = new("--model") { Description = "softmax or mlp:WIDTH[,WIDTH...][,relu|tanh].", DefaultValueFactory = _ => "softmax" };
        public Option<string> Optimizer { get; } = new("--optimizer") { Description = "sgd:lr=0.1[,momentum=0.9,nesterov=true,wd=0], adam:lr=1e-3, adamw:lr=1e-3,wd=0.01.", DefaultValueFactory = _ => "sgd:lr=0.1,momentum=0.9" };
        public Option<string> Schedule { get; } = new("--schedule") { Description = "constant, step:size=10,gamma=0.1 or cosine[:min=0].", DefaultValueFactory = _ => "constant" };
        public Option<int?> Epochs { get; } = new("--epochs") { Description = "Number of epochs (default 10)." };
        public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => 64 };
        public Option<int> Seed { get; } = new("--seed") { Description = "Seed of initialisation, splits and shuffling.", DefaultValueFactory = _ => 0 };
        public Option<double> Validation { get; } = new("--validation") { Description = "Fraction of the training data held out for validation (stratified).", DefaultValueFactory = _ => 0.1 };
        public Option<double> Imbalance { get; } = new("--imbalance") { Description = "Make the training data long-tailed with this ratio n_max/n_min (Cui et al. 2019); 1 = as is.", DefaultValueFactory = _ => 1.0 };
        public Option<string> Out { get; } = new("--out") { Description = "Output directory.", DefaultValueFactory = _ => "runs/train" };
        public Option<string> Threads { get; } = Lab.ThreadsOption();

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Data, Model, Optimizer, Schedule, Epochs, BatchSize, Seed, Validation, Imbalance, Out, Threads })
            {
                c.Options.Add(o);
            }
        }

        public TrainSettings Settings(ParseResult p, string loss) => new()
        {
            Data = p.GetValue(Data)!,
            Loss = loss,
            Optimizer = p.GetValue(Optimizer)!,
            Schedule = p.GetValue(Schedule)!,
            Epochs = p.GetValue(Epochs) ?? 10,
            BatchSize = p.GetValue(BatchSize),
            Seed = p.GetValue(Seed),
            Validation = p.GetValue(Validation),
            Imbalance = p.GetValue(Imbalance),
        };

        /// <summary>The command's compute setting from <c>--threads</c> (a clear error unless a whole number ≥ 1 or auto).</summary>
        public Compute ParseCompute(ParseResult p) => Lab.ParseThreads(p.GetValue(Threads)!);
    }

    public static Command Create()
    {
        var common = new Common();
        var loss = new Option<string>("--loss") { Description = $"Loss specification name[:key=value,...]; names: {LossCatalog.TrainableNames}.", DefaultValueFactory = _ => "ce" };
        var resume = new Option<string?>("--resume") { Description = "Continue the run saved in this directory (its settings; --epochs may extend it)." };
        var calibrate = new Option<bool>("--calibrate") { Description = "After training, fit temperature scaling on the validation logits, report test NLL/Brier/ECE before and after, save calibrator.json." };
        var command = new Command("train", "Train softmax regression or an MLP with one loss; write metrics.csv and the model file.") { loss, resume, calibrate };
        common.AddTo(command);
        command.SetAction(p => CliErrors.Run(() =>
        {
            string? from = p.GetValue(resume);
            bool outGiven = p.GetResult(common.Out) is { Implicit: false };
            string outDir = !outGiven && from is not null ? from : p.GetValue(common.Out)!;
            var compute = common.ParseCompute(p);
            return Run(common.Settings(p, p.GetValue(loss)!), p.GetValue(common.Model)!, outDir, from, p.GetValue(common.Epochs), p.GetValue(calibrate), compute);
        }));
        return command;
    }

    /// <summary>Trains; <paramref name="compute"/> bounds the GEMMs and the loss kernels.</summary>
    internal static int Run(TrainSettings settings, string model, string outDir, string? resumeDir, int? epochs, bool calibrate, Compute compute)
    {
        Checkpoint? checkpoint = null;
        if (resumeDir is not null)
        {
            string path = Path.Combine(resumeDir, Checkpoint.FileName);
            if (!File.Exists(path))
            {
                throw new CliException($"--resume: no model file {path}.");
            }

            checkpoint = Checkpoint.Load(path);
            settings = checkpoint.Settings with { Epochs = epochs ?? checkpoint.Settings.Epochs };
        }

        var data = Lab.Load(settings.Data, settings.Seed, settings.Validation, settings.Imbalance);
        if (calibrate && (data.Validation is null || data.Validation.Count == 0))
        {
            throw new CliException("--calibrate needs a validation split to fit on: use --validation > 0.");
        }

        var loss = LossCatalog.Create(settings.Loss, new LossContext(data.Train.Classes, data.Train.ClassCounts()) { Compute = compute });
        Trainer trainer;
        if (checkpoint is not null)
        {
            trainer = Trainer.Resume(checkpoint, loss, settings.Epochs, compute);
        }
        else
        {
            var net = Lab.Model(model, data.Train.Dimension, data.Train.Classes, settings.Seed);
            var optimizer = OptimizerFactory.Create(settings.Optimizer, net.Parameters.Length);
            trainer = new Trainer(net, optimizer, loss, settings, compute: compute);
        }

        Directory.CreateDirectory(outDir);
        AnsiConsole.MarkupLineInterpolated($"[bold]{trainer.Model.Describe()}[/] on {settings.Data}: {data.Train.Count} train, {data.Validation?.Count ?? 0} validation, {data.Test.Count} test; loss {loss.Name}, {trainer.Optimizer.Name}, {trainer.Schedule.Name}; {Lab.ThreadsText(compute)}");
        Train(trainer, data, Path.Combine(outDir, Checkpoint.FileName), m =>
            AnsiConsole.MarkupLineInterpolated($"epoch {m.Epoch,3}  lr {m.LearningRate:G4}  train loss {Lab.F(m.TrainLoss)}  val acc {Lab.F(m.ValidationAccuracy)}  test acc {Lab.F(m.TestAccuracy)}  ({m.Seconds:F1} s)"));
        WriteMetrics(Path.Combine(outDir, "metrics.csv"), trainer.History);
        AnsiConsole.Write(Table(trainer.History));
        AnsiConsole.MarkupLineInterpolated($"wrote {Path.Combine(outDir, "metrics.csv")} and {Path.Combine(outDir, Checkpoint.FileName)}");
        if (calibrate)
        {
            TrainCalibration.Run(trainer.Model, data, outDir, compute);
        }

        return 0;
    }

    internal static void Train(Trainer trainer, Lab.Splits data, string? checkpointPath, Action<EpochMetrics> onEpoch)
    {
        while (trainer.CompletedEpochs < trainer.Settings.Epochs)
        {
            EpochMetrics m;
            try
            {
                m = Epoch(trainer, data);
            }
            catch (TrainingDivergedException ex)
            {
                throw new CliException(ex.Message);
            }

            if (checkpointPath is not null)
            {
                trainer.ToCheckpoint().Save(checkpointPath);
            }

            onEpoch(m);
        }
    }

    private static EpochMetrics Epoch(Trainer trainer, Lab.Splits data)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            return trainer.TrainEpoch(data.Train, data.Validation, data.Test);
        }

        EpochMetrics? m = null;
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"epoch {trainer.CompletedEpochs + 1}/{trainer.Settings.Epochs}");
            m = trainer.TrainEpoch(data.Train, data.Validation, data.Test, (b, n) =>
            {
                task.MaxValue = n;
                task.Value = b;
            });
        });
        return m!;
    }

    internal static void WriteMetrics(string path, IReadOnlyList<EpochMetrics> history)
    {
        using var w = new StreamWriter(path);
        w.WriteLine(EpochMetrics.CsvHeader);
        foreach (var m in history)
        {
            w.WriteLine(m.ToCsv());
        }
    }

    private static Table Table(IReadOnlyList<EpochMetrics> history)
    {
        var t = new Table().AddColumns("epoch", "lr", "train loss", "val loss", "val acc", "val NLL", "test acc", "test NLL", "s");
        foreach (var m in history)
        {
            t.AddRow(m.Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), Lab.F(m.LearningRate, "G4"), Lab.F(m.TrainLoss), Lab.F(m.ValidationLoss),
                Lab.F(m.ValidationAccuracy), Lab.F(m.ValidationNll), Lab.F(m.TestAccuracy), Lab.F(m.TestNll), Lab.F(m.Seconds, "0.0"));
        }

        return t;
    }
}
