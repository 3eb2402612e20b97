using System.CommandLine;
using ClassLoss.Cli;
using Spectre.Console;

namespace ClassLoss.Tests.TestUtilities;

/// <summary>Runs <c>classloss</c> commands in process, as Program.cs does, and captures what they print.</summary>
internal static class CliRunner
{
    /// <summary>Invokes the full command tree with <paramref name="args"/>; returns the exit code and the console text (Spectre and plain Console.Out).</summary>
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
        Console.SetOut(writer);
        try
        {
            var root = new RootCommand();
            foreach (var command in Commands.All())
            {
                root.Subcommands.Add(command);
            }

            int code = CliErrors.Run(() => root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
            return (code, writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
            Console.SetOut(previousOut);
        }
    }
}
