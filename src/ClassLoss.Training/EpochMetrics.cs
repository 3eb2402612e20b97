namespace ClassLoss.Training;

/// <summary>What one epoch of training measured. NaN marks a metric with no data (no validation or test set).</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="LearningRate">The learning rate used during the epoch.</param>
/// <param name="TrainLoss">The training loss (the configured loss), averaged over the epoch's batches as the loss's own reduction defines.</param>
/// <param name="ValidationLoss">The configured loss on the validation set after the epoch.</param>
/// <param name="ValidationAccuracy">Top-1 accuracy on the validation set.</param>
/// <param name="ValidationNll">Mean negative log-likelihood (unweighted softmax cross-entropy) on the validation set.</param>
/// <param name="TestAccuracy">Top-1 accuracy on the test set.</param>
/// <param name="TestNll">Mean negative log-likelihood on the test set.</param>
/// <param name="Seconds">Wall-clock seconds of the epoch (the one field that is not reproducible).</param>
public sealed record EpochMetrics(int Epoch, double LearningRate, double TrainLoss, double ValidationLoss, double ValidationAccuracy,
    double ValidationNll, double TestAccuracy, double TestNll, double Seconds)
{
    /// <summary>The CSV header matching <see cref="ToCsv"/>.</summary>
    public const string CsvHeader = "epoch,lr,train_loss,val_loss,val_accuracy,val_nll,test_accuracy,test_nll,seconds";

    /// <summary>One CSV line (invariant culture, round-trip precision).</summary>
    public string ToCsv() => string.Join(',',
        Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), F(LearningRate), F(TrainLoss), F(ValidationLoss),
        F(ValidationAccuracy), F(ValidationNll), F(TestAccuracy), F(TestNll), Seconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>This record without the wall-clock time, for comparing runs.</summary>
    public EpochMetrics WithoutTime() => this with { Seconds = 0 };

    /// <summary>Writes the row as a checkpoint stores it: int32 epoch, then the eight doubles in declaration order.</summary>
    internal void Write(BinaryWriter w)
    {
        w.Write(Epoch);
        foreach (double v in (double[])[LearningRate, TrainLoss, ValidationLoss, ValidationAccuracy, ValidationNll, TestAccuracy, TestNll, Seconds])
        {
            w.Write(v);
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    internal static EpochMetrics Read(BinaryReader r)
    {
        int epoch = r.ReadInt32();
        Span<double> v = stackalloc double[8];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = r.ReadDouble();
        }

        return new EpochMetrics(epoch, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }

    private static string F(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
