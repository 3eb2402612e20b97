using System.Text.RegularExpressions;

namespace ClassLoss.Cli;

/// <summary>
/// Turns expected failures (bad input, missing files) into one line on standard error, <c>error: ...</c>, and exit
/// code 1: never a stack trace, never wrapped (a script can grep it), without .NET's "(Parameter 'x')" suffix (our
/// messages name the argument, row and column themselves).
/// </summary>
internal static partial class CliErrors
{
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
