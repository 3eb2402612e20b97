namespace ClassLoss.Training.Data;

/// <summary>
/// The built-in data: a fixed stratified subset of Fashion-MNIST (3000 train, 1000 test, 28x28, 10 classes;
/// MIT licence, Zalando) embedded in the assembly, and the full Fashion-MNIST from disk when present.
/// </summary>
public static class DefaultData
{
    /// <summary>Where the full Fashion-MNIST IDX files are looked for.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Loads the embedded training and test subsets (features in [0, 1]).</summary>
    public static (Dataset Train, Dataset Test) Load()
    {
        return (Resource("train"), Resource("test"));
    }

    /// <summary>Loads the full Fashion-MNIST (60000 train, 10000 test) from <paramref name="directory"/>.</summary>
    public static (Dataset Train, Dataset Test) LoadFashionMnist(string? directory = null)
    {
        string dir = directory ?? FashionMnistDirectory;
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"Fashion-MNIST directory '{dir}' does not exist.");
        }

        var train = IdxReader.ReadDataset(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        var test = IdxReader.ReadDataset(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"));
        return (train, test);
    }

    private static Dataset Resource(string split)
    {
        var asm = typeof(DefaultData).Assembly;
        string images = $"ClassLoss.Training.Default.{split}-images-idx3-ubyte.gz";
        string labels = $"ClassLoss.Training.Default.{split}-labels-idx1-ubyte.gz";
        using var xs = asm.GetManifestResourceStream(images) ?? throw new InvalidDataException($"embedded resource {images} is missing.");
        using var ys = asm.GetManifestResourceStream(labels) ?? throw new InvalidDataException($"embedded resource {labels} is missing.");
        return IdxReader.ReadDataset(xs, images, ys, labels);
    }
}
