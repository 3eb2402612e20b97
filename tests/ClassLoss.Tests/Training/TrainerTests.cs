using ClassLoss.Losses;
using ClassLoss.Training;
using ClassLoss.Training.Data;
using ClassLoss.Training.Models;
using ClassLoss.Training.Optimizers;

namespace ClassLoss.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("classloss-trainer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Three Gaussian blobs in 4 dimensions.
    internal static Dataset Blobs(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * 4];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 3;
            for (int j = 0; j < 4; j++)
            {
                x[(i * 4) + j] = (float)((j == y[i] ? 2.0 : 0.0) + (rng.NextDouble() - 0.5) * 2);
            }
        }

        return new Dataset(x, 4, y, 3);
    }

    private static Trainer NewTrainer(string optimizer, int epochs, string loss = "ce")
    {
        var settings = new TrainSettings { Loss = loss, Optimizer = optimizer, BatchSize = 16, Epochs = epochs, Seed = 9, Schedule = "cosine" };
        var model = new Mlp(4, [8], 3, Activation.Relu, settings.Seed);
        return new Trainer(model, OptimizerFactory.Create(optimizer, model.Parameters.Length),
            LossCatalog.Create(loss, new LossContext(3, [40, 40, 40])), settings);
    }

    [Theory]
    [InlineData("sgd:lr=0.1,momentum=0.9")]
    [InlineData("adam:lr=0.01")]
    public void Training_LearnsSeparableBlobs(string optimizer)
    {
        var t = NewTrainer(optimizer, 15);
        t.Run(Blobs(120, 1), Blobs(60, 2), null);
        Assert.True(t.History[^1].ValidationAccuracy > 0.9, $"accuracy {t.History[^1].ValidationAccuracy}");
        Assert.True(t.History[^1].TrainLoss < t.History[0].TrainLoss);
    }

    [Fact]
    public void Training_WithSoftLabels_UsesProbabilityTargets()
    {
        // The trainer passes probability rows to the loss when the data set has soft labels; one-hot rows of
        // separable blobs must still be learnt.
        var hard = Blobs(120, 1);
        var soft = new float[hard.Count * 3];
        for (int i = 0; i < hard.Count; i++) soft[(i * 3) + hard.Labels[i]] = 1f;
        var softData = new Dataset(hard.Features, 4, hard.Labels, 3, soft);
        var t = NewTrainer("adam:lr=0.01", 10);
        t.Run(softData, Blobs(60, 2), null);
        Assert.True(t.History[^1].ValidationAccuracy > 0.9, $"accuracy {t.History[^1].ValidationAccuracy}");
    }

    [Fact]
    public void NonFiniteLoss_RaisesTrainingDiverged()
    {
        var data = Blobs(30, 1);
        data.Features[5] = float.NaN;
        var t = NewTrainer("sgd:lr=0.1", 1);
        Assert.Throws<TrainingDivergedException>(() => t.TrainEpoch(data, null, null));
    }

    [Fact]
    public void TwoRuns_WithTheSameSeed_AreBitForBitIdentical()
    {
        var a = NewTrainer("adam:lr=0.01", 3, "weighted-ce:weights=balanced");
        var b = NewTrainer("adam:lr=0.01", 3, "weighted-ce:weights=balanced");
        a.Run(Blobs(100, 1), Blobs(30, 2), Blobs(30, 3));
        b.Run(Blobs(100, 1), Blobs(30, 2), Blobs(30, 3));
        Assert.Equal(a.Model.Parameters, b.Model.Parameters);
        Assert.Equal(a.History.Select(m => m.WithoutTime()), b.History.Select(m => m.WithoutTime()));
    }

    [Theory]
    [InlineData("sgd:lr=0.05,momentum=0.9,nesterov=true,wd=0.001")]
    [InlineData("adamw:lr=0.01")]
    public void Resume_FromCheckpoint_EqualsUninterruptedRun(string optimizer)
    {
        var train = Blobs(100, 1);
        var val = Blobs(30, 2);
        var full = NewTrainer(optimizer, 4);
        full.Run(train, val, null);

        string path = Path.Combine(_dir, Checkpoint.FileName);
        var first = new Trainer(NewTrainer(optimizer, 4).Model, OptimizerFactory.Create(optimizer, full.Model.Parameters.Length),
            LossCatalog.Create("ce", new LossContext(3)), full.Settings);
        first.TrainEpoch(train, val, null);
        first.TrainEpoch(train, val, null);
        first.ToCheckpoint().Save(path);

        var loaded = Checkpoint.Load(path);
        Assert.Equal(2, loaded.CompletedEpochs);
        var resumed = Trainer.Resume(loaded, LossCatalog.Create(loaded.Settings.Loss, new LossContext(3)));
        resumed.Run(train, val, null);
        Assert.Equal(full.Model.Parameters, resumed.Model.Parameters);
        Assert.Equal(full.History.Select(m => m.WithoutTime()), resumed.History.Select(m => m.WithoutTime()));
    }

    [Fact]
    public void Checkpoint_RejectsBadMagicAndTruncation()
    {
        string bad = Path.Combine(_dir, "bad.clsm");
        File.WriteAllBytes(bad, "NOTAMODEL......."u8.ToArray());
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(bad)).Message);

        var t = NewTrainer("sgd:lr=0.1", 1);
        string good = Path.Combine(_dir, "good.clsm");
        t.ToCheckpoint().Save(good);
        var bytes = File.ReadAllBytes(good);
        string cut = Path.Combine(_dir, "cut.clsm");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 10)]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(cut)).Message);
    }

    [Fact]
    public void Checkpoint_WithAnyFlippedBitOrCut_IsRefused_NeverLoadedAsAnotherModel()
    {
        var t = NewTrainer("adam:lr=1e-3", 1);
        string good = Path.Combine(_dir, "good.clsm");
        t.ToCheckpoint().Save(good);
        var bytes = File.ReadAllBytes(good);
        Assert.Equal(t.Model.Parameters, Checkpoint.Load(good).Model.Parameters);
        string bad = Path.Combine(_dir, "flipped.clsm");
        var rng = new Random(1);
        for (int trial = 0; trial < 200; trial++)
        {
            var copy = (byte[])bytes.Clone();
            int at = trial < 64 ? trial : rng.Next(copy.Length); // every byte of the header, then anywhere
            copy[at] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(bad, copy);
            var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(bad));
            Assert.StartsWith(bad + ":", ex.Message, StringComparison.Ordinal);
        }

        foreach (int length in new[] { 0, 7, 8, 12, 40, bytes.Length / 2, bytes.Length - 33, bytes.Length - 32, bytes.Length - 1 })
        {
            File.WriteAllBytes(bad, bytes[..length]);
            Assert.Throws<InvalidDataException>(() => Checkpoint.Load(bad));
        }
    }
}
