namespace ClassLoss.Cli;

/// <summary>Turns expected failures (bad input, missing files) into one clear red line and exit code 1, never a stack trace.</summary>
internal static class CliErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or InvalidDataException or UnauthorizedAccessException or CliException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 1;
        }
    }
}

/// <summary>A user-facing error with a message that already says what to do.</summary>
internal sealed class CliException(string message) : Exception(message);
