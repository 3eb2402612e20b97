using System.Text.RegularExpressions;

namespace ClassLoss.Cli;

/// <summary>
/// The command line's exit codes and error lines: 0 done; 1 bad input (a malformed or missing file, a bad value), as one
/// line on standard error, <c>error: ...</c>; 2 a usage error (an unknown command or option, a missing argument), its
/// lines and then <c>usage: classloss &lt;command&gt; --help</c>. Never a stack trace, never wrapped (a script can grep
/// it), without .NET's "(Parameter 'x')" suffix (our messages name the argument, row and column themselves).
/// </summary>
internal static partial class CliErrors
{
    /// <summary>Exit code of a usage error.</summary>
    public const int UsageError = 2;

    /// <summary>Parses and runs one command line (the program's <c>Main</c>, and the tests').</summary>
    public static int Invoke(string[] args)
    {
        var parse = Commands.Root().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"error: {OneLine(error.Message)}");
            }

            var path = new List<string>();
            for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            {
                path.Insert(0, r.Command.Name);
            }

            Console.Error.WriteLine($"usage: {string.Join(' ', path)} --help");
            return UsageError;
        }

        return Run(() => parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
    }

    /// <summary>Runs a parsed command, turning expected failures into one error line and exit code 1.</summary>
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or InvalidDataException or UnauthorizedAccessException or CliException)
        {
            Console.Error.WriteLine($"error: {OneLine(ex.Message)}");
            return 1;
        }
    }

    /// <summary>The message on one line, without the parameter-name suffix <see cref="ArgumentException"/> appends.</summary>
    public static string OneLine(string message) =>
        ParameterSuffix().Replace(Regex.Replace(message, @"\s*[\r\n]+\s*", " "), "").Trim();

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)\s*$")]
    private static partial Regex ParameterSuffix();
}

/// <summary>A user-facing error with a message that already says what to do.</summary>
internal sealed class CliException(string message) : Exception(message);
