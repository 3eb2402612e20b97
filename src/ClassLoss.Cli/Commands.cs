using System.CommandLine.Help;
using ClassLoss.Cli.Experiments;

namespace ClassLoss.Cli;

/// <summary>Every subcommand of <c>classloss</c>; one file per command.</summary>
internal static class Commands
{
    /// <summary>The root command, named <c>classloss</c> whatever the executable is called (the dotnet tool, the JIT
    /// build's ClassLoss.Cli, the NativeAOT binary), with help and version options and every subcommand.</summary>
    public static Command Root()
    {
        var root = new Command("classloss", "ClassLoss: classification losses with exact gradients, and a lab to compare them.");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        foreach (var command in All())
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

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
        yield return NextTokenCommand.Create();
    }
}
