namespace ClassLoss.Cli.Experiments;

/// <summary>Sizes of one run of the experiments, and the command's compute setting.</summary>
internal sealed record ExperimentSettings(string Data, string Out, int Seed, bool Quick, string Model, Compute Compute)
{
    public int Epochs => Quick ? 2 : Data == "default" ? 15 : 10;

    public double[] LearningRates => Quick ? [0.1] : [0.01, 0.1, 0.5];

    public int TrainLimit => Quick ? 600 : int.MaxValue;

    public int TestLimit => Quick ? 300 : int.MaxValue;

    public int BatchSize => 64;

    public double Imbalance => 10;
}
