namespace ClassLoss.Cli.Experiments;

/// <summary>Sizes of one run of the experiments.</summary>
internal sealed record ExperimentSettings(string Data, string Out, int Seed, bool Quick, string Model = "mlp:64", int Threads = 1)
{
    public int Epochs => Quick ? 2 : Data == "default" ? 15 : 10;

    public double[] LearningRates => Quick ? [0.1] : [0.01, 0.1, 0.5];

    public int TrainLimit => Quick ? 600 : int.MaxValue;

    public int TestLimit => Quick ? 300 : int.MaxValue;

    public int BatchSize => 64;

    public double Imbalance => 10;
}
