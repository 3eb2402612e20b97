using ClassLoss.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClassLoss.MLNet.Tests;

/// <summary>One example of a binary task for ML.NET: 784 pixel features in [0, 1] and a Boolean label.</summary>
public sealed class PixelRow
{
    /// <summary>The 28x28 pixels, row-major.</summary>
    [VectorType(FashionPair.Pixels)]
    public float[] Features { get; set; } = [];

    /// <summary>True for the pair's positive class.</summary>
    public bool Label { get; set; }
}

/// <summary>
/// Two classes of the embedded Fashion-MNIST subset (ClassLoss.Training's DefaultData: 300 train and 100 test images
/// per class) as ML.NET data views: Pullover (2, negative) vs Coat (4, positive), a pair a linear model confuses.
/// </summary>
public static class FashionPair
{
    public const int Pixels = 784;
    public const int Negative = 2;
    public const int Positive = 4;

    private static readonly Lazy<(PixelRow[] Train, PixelRow[] Test)> Rows = new(Load);

    public static (IDataView Train, IDataView Test) Views(MLContext ml) =>
        (ml.Data.LoadFromEnumerable(Rows.Value.Train), ml.Data.LoadFromEnumerable(Rows.Value.Test));

    public static int TrainCount => Rows.Value.Train.Length;

    public static int TestCount => Rows.Value.Test.Length;

    private static (PixelRow[] Train, PixelRow[] Test) Load()
    {
        var (train, test) = DefaultData.Load();
        return (Pair(train), Pair(test));
    }

    private static PixelRow[] Pair(Dataset data)
    {
        var rows = new List<PixelRow>();
        for (int i = 0; i < data.Count; i++)
        {
            int y = data.Labels[i];
            if (y is Negative or Positive)
            {
                rows.Add(new PixelRow { Features = data.Row(i).ToArray(), Label = y == Positive });
            }
        }

        return [.. rows];
    }
}
