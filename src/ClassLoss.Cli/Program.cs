using ClassLoss.Cli;

// Redirected output (a file, a pipe) is plain text (Spectre drops colour and honours NO_COLOR) and not wrapped at 80
// columns: tables keep their rows on one line for scripts.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 240;
}

return CliErrors.Invoke(args);
