using System.Diagnostics;
using System.Text;

namespace ClassLoss.Tests.TestUtilities;

/// <summary>Runs another program (chromium, python3, the CLI as its own process) and collects its output.</summary>
internal static class ExternalProcess
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> (each one argument, no shell quoting) and
    /// optional environment variables; returns the exit code and both streams. A program that is missing, or that runs
    /// past <paramref name="timeoutSeconds"/> (then killed), gives code -1 and says so in the error text.</summary>
    public static (int Code, string Output, string Error) Run(string file, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null, int timeoutSeconds = 180)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        try
        {
            using var p = Process.Start(start)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeoutSeconds * 1000))
            {
                p.Kill(entireProcessTree: true);
                return (-1, output.Result, $"{file} timed out after {timeoutSeconds} s: {error.Result}");
            }

            return (p.ExitCode, output.Result, error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", $"{file}: {e.Message}");
        }
    }
}
