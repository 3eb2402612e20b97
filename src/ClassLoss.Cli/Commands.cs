using ClassLoss.Cli.Experiments;

namespace ClassLoss.Cli;

/// <summary>Every subcommand of <c>classloss</c>; one file per command.</summary>
internal static class Commands
{
    public static IEnumerable<Command> All()
    {
        yield return LossCommand.Create();
        yield return LossesCommand.Create();
        yield return TrainCommand.Create();
        yield return CompareCommand.Create();
        yield return EvalCommand.Create();
        yield return CalibrateCommand.Create();
        yield return GradientsCommand.Create();
        yield return PredictCommand.Create();
        yield return ExperimentsCommand.Create();
    }
}
