using System.CommandLine;
using ClassLoss.Cli;
using Spectre.Console;

namespace ClassLoss.Tests.TestUtilities;

/// <summary>Runs <c>classloss</c> commands in process, as Program.cs does, and captures what they print.</summary>
internal static class CliRunner
{
    /// <summary>Invokes the full command tree with <paramref name="args"/>; returns the exit code and the console text (Spectre, Console.Out and Console.Error, where errors go).</summary>
    public static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        AnsiConsole.Profile.Width = 200;
        var previousOut = Console.Out;
        var previousError = Console.Error;
        Console.SetOut(writer);
        Console.SetError(writer);
        try
        {
            int code = CliErrors.Invoke(args);
            return (code, writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }
}
