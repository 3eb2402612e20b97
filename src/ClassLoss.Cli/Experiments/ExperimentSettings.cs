namespace ClassLoss.Cli.Experiments;

/// <summary>Sizes of one run of the experiments: the data, where the report goes, the first seed and how many seeds
/// (seed i is <c>Seed + i</c>: it fixes initialisation, subsets and shuffling for every compared loss), and how many
/// training runs go at once (<c>--threads</c>; each run is single-threaded and depends only on its seed).</summary>
internal sealed record ExperimentSettings(string Data, string Out, int Seed, bool Quick, string Model, Compute Compute, int Seeds = 5)
{
    public int Epochs => Quick ? 2 : Data == "default" ? 15 : 10;

    public double[] LearningRates => Quick ? [0.1] : [0.01, 0.1, 0.5];

    public int TrainLimit => Quick ? 600 : int.MaxValue;

    public int TestLimit => Quick ? 300 : int.MaxValue;

    public int BatchSize => 64;

    public double Imbalance => 10;

    /// <summary>The seeds, in order.</summary>
    public int[] SeedList => [.. Enumerable.Range(Seed, Seeds)];

    /// <summary>How many training runs go at once.</summary>
    public int Parallel => Compute.Threads;
}
