using System.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Training.Data;
using ClassLoss.Training.Models;
using ClassLoss.Training.Optimizers;

namespace ClassLoss.Training;

/// <summary>Raised when a training loss becomes NaN or infinite.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Mini-batch training of an <see cref="Mlp"/> with any <see cref="ILogitLoss"/> and any <see cref="IOptimizer"/>.
/// Each epoch shuffles with a generator seeded by (seed, epoch), so a run is bit-for-bit reproducible and a resumed
/// run equals an uninterrupted one. Metrics come from the core kernels.
/// </summary>
public sealed class Trainer
{
    private readonly List<EpochMetrics> _history;
    private float[] _x = [];
    private int[] _y = [];
    private float[] _soft = [];
    private float[] _logits = [];
    private float[] _dlogits = [];
    private readonly SoftmaxCrossEntropyOptions _nll;

    /// <summary>Creates a trainer at epoch 0, or at <paramref name="completedEpochs"/> when resuming.</summary>
    /// <param name="model">The network.</param>
    /// <param name="optimizer">The optimiser.</param>
    /// <param name="loss">The training loss (it carries its own threads, see <see cref="LossContext.Compute"/>).</param>
    /// <param name="settings">The run settings.</param>
    /// <param name="schedule">The learning-rate schedule (default: parsed from <see cref="TrainSettings.Schedule"/>).</param>
    /// <param name="completedEpochs">Epochs already done (when resuming).</param>
    /// <param name="history">Their metrics.</param>
    /// <param name="compute">The threads of the model's GEMMs and of the evaluation NLL (default <see cref="Compute.SingleThread"/>).</param>
    public Trainer(Mlp model, IOptimizer optimizer, ILogitLoss loss, TrainSettings settings, LearningRateSchedule? schedule = null,
        int completedEpochs = 0, IEnumerable<EpochMetrics>? history = null, Compute? compute = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        Loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.BatchSize, 1, nameof(settings));
        Schedule = schedule ?? LearningRateSchedule.Parse(settings.Schedule);
        CompletedEpochs = completedEpochs;
        _history = history is null ? [] : [.. history];
        Compute = compute ?? Compute.SingleThread;
        _nll = new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = Compute.Threads };
    }

    /// <summary>
    /// Resumes from a checkpoint with the given loss (recreated by the caller from <see cref="TrainSettings.Loss"/>),
    /// optionally for more <paramref name="epochs"/>, with the threads of <paramref name="compute"/> (default one).
    /// </summary>
    public static Trainer Resume(Checkpoint checkpoint, ILogitLoss loss, int? epochs = null, Compute? compute = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var settings = epochs is null ? checkpoint.Settings : checkpoint.Settings with { Epochs = epochs.Value };
        return new Trainer(checkpoint.Model, checkpoint.Optimizer, loss, settings, null, checkpoint.CompletedEpochs, checkpoint.History, compute);
    }

    /// <summary>The network.</summary>
    public Mlp Model { get; }

    /// <summary>The optimiser.</summary>
    public IOptimizer Optimizer { get; }

    /// <summary>The training loss.</summary>
    public ILogitLoss Loss { get; }

    /// <summary>The run settings.</summary>
    public TrainSettings Settings { get; }

    /// <summary>The learning-rate schedule.</summary>
    public LearningRateSchedule Schedule { get; }

    /// <summary>
    /// The threads of the model's GEMMs and of the evaluation NLL this trainer computes itself (the training loss
    /// carries its own, see <see cref="LossContext.Compute"/>). Results do not depend on it.
    /// </summary>
    public Compute Compute { get; }

    /// <summary>Epochs completed so far.</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>Metrics of every completed epoch.</summary>
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>The current state as a checkpoint.</summary>
    public Checkpoint ToCheckpoint() => new()
    {
        Settings = Settings with { Optimizer = Optimizer.Name },
        Model = Model,
        Optimizer = Optimizer,
        CompletedEpochs = CompletedEpochs,
        History = _history,
    };

    /// <summary>
    /// Trains up to <see cref="TrainSettings.Epochs"/>, calling <paramref name="onEpoch"/> after each epoch and
    /// saving a checkpoint to <paramref name="checkpointPath"/> (when given) after each epoch.
    /// </summary>
    public void Run(Dataset train, Dataset? validation, Dataset? test, string? checkpointPath = null,
        Action<EpochMetrics>? onEpoch = null, Action<int, int>? onBatch = null)
    {
        while (CompletedEpochs < Settings.Epochs)
        {
            var m = TrainEpoch(train, validation, test, onBatch);
            if (checkpointPath is not null)
            {
                ToCheckpoint().Save(checkpointPath);
            }

            onEpoch?.Invoke(m);
        }
    }

    /// <summary>Runs one epoch and evaluates; returns (and records) its metrics.</summary>
    public EpochMetrics TrainEpoch(Dataset train, Dataset? validation, Dataset? test, Action<int, int>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckShape(train);
        var clock = Stopwatch.StartNew();
        int epoch = CompletedEpochs;
        double lr = Schedule.At(Optimizer.LearningRate, epoch, Settings.Epochs);
        int n = train.Count;
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        new Random(unchecked((Settings.Seed * 100_003) + epoch + 1)).Shuffle(order);
        int b = Settings.BatchSize;
        int batches = (n + b - 1) / b;
        double sum = 0;
        double denominator = 0;
        for (int batch = 0; batch < batches; batch++)
        {
            int start = batch * b;
            int rows = Math.Min(b, n - start);
            var targets = Gather(train, order.AsSpan(start, rows));
            int k = train.Classes;
            Model.Forward(_x.AsSpan(0, rows * train.Dimension), rows, _logits.AsSpan(0, rows * k), Compute);
            var result = Loss.Evaluate(_logits.AsSpan(0, rows * k), targets, k, _dlogits.AsSpan(0, rows * k), default);
            if (!double.IsFinite(result.Value))
            {
                throw new TrainingDivergedException($"training diverged: loss {result.Value} at epoch {epoch + 1}, batch {batch + 1}; lower the learning rate.");
            }

            sum += result.Sum;
            denominator += result.Denominator;
            Model.Backward(_dlogits.AsSpan(0, rows * k), Compute);
            Optimizer.Step(Model.Parameters, Model.Gradients, lr);
            onBatch?.Invoke(batch + 1, batches);
        }

        var (vl, va, vn) = validation is null ? (double.NaN, double.NaN, double.NaN) : Evaluate(validation);
        var (_, ta, tn) = test is null ? (double.NaN, double.NaN, double.NaN) : Evaluate(test);
        var m = new EpochMetrics(epoch + 1, lr, denominator > 0 ? sum / denominator : 0, vl, va, vn, ta, tn, clock.Elapsed.TotalSeconds);
        _history.Add(m);
        CompletedEpochs++;
        return m;
    }

    /// <summary>
    /// The configured loss (sum over batches / summed denominators, i.e. an exact global mean), top-1 accuracy and
    /// mean NLL (unweighted softmax cross-entropy) of the model on <paramref name="data"/>.
    /// </summary>
    public (double Loss, double Accuracy, double Nll) Evaluate(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(data);
        const int Chunk = 1024;
        int k = data.Classes;
        double sum = 0;
        double denominator = 0;
        double nll = 0;
        long correct = 0;
        var order = new int[Math.Min(Chunk, data.Count)];
        for (int start = 0; start < data.Count; start += Chunk)
        {
            int rows = Math.Min(Chunk, data.Count - start);
            for (int i = 0; i < rows; i++)
            {
                order[i] = start + i;
            }

            var targets = Gather(data, order.AsSpan(0, rows));
            var logits = _logits.AsSpan(0, rows * k);
            Model.Forward(_x.AsSpan(0, rows * data.Dimension), rows, logits, Compute);
            var r = Loss.Evaluate(logits, targets, k, default, default);
            sum += r.Sum;
            denominator += r.Denominator;
            nll += SoftmaxCrossEntropy.Evaluate<float>(logits, _y.AsSpan(0, rows), k, _nll, default, default).Sum;
            for (int i = 0; i < rows; i++)
            {
                var row = logits.Slice(i * k, k);
                int best = 0;
                for (int c = 1; c < k; c++)
                {
                    if (row[c] > row[best])
                    {
                        best = c;
                    }
                }

                if (best == _y[i])
                {
                    correct++;
                }
            }
        }

        int total = Math.Max(1, data.Count);
        return (denominator > 0 ? sum / denominator : 0, (double)correct / total, nll / total);
    }

    private LossTargets Gather(Dataset data, ReadOnlySpan<int> rows)
    {
        int d = data.Dimension;
        int k = data.Classes;
        int need = Math.Max(rows.Length, 1024);
        if (_x.Length < need * d)
        {
            _x = new float[need * d];
        }

        if (_y.Length < need)
        {
            _y = new int[need];
            _logits = new float[need * k];
            _dlogits = new float[need * k];
            _soft = data.SoftLabels is null ? [] : new float[need * k];
        }

        if (data.SoftLabels is not null && _soft.Length < need * k)
        {
            _soft = new float[need * k];
        }

        for (int r = 0; r < rows.Length; r++)
        {
            int i = rows[r];
            data.Features.AsSpan(i * d, d).CopyTo(_x.AsSpan(r * d));
            _y[r] = data.Labels[i];
            data.SoftLabels?.AsSpan(i * k, k).CopyTo(_soft.AsSpan(r * k));
        }

        return data.SoftLabels is null
            ? LossTargets.FromLabels(_y.AsSpan(0, rows.Length))
            : LossTargets.FromProbabilities(_soft.AsSpan(0, rows.Length * k));
    }

    private void CheckShape(Dataset data)
    {
        if (data.Dimension != Model.Inputs || data.Classes != Model.Outputs)
        {
            throw new ArgumentException($"data has {data.Dimension} features and {data.Classes} classes; the model expects {Model.Inputs} and {Model.Outputs}.", nameof(data));
        }
    }
}
