using ClassLoss.Cli;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Cli;

/// <summary>The CLI's error contract: one line on standard error, never wrapped, no .NET parameter names; exit code 1 for
/// bad input, 2 for a usage error.</summary>
[Collection("Console")]
public sealed class CliErrorsTests
{
    [Fact]
    public void AnErrorIsOneUnwrappedLineOnStandardError_WithoutTheParameterSuffix()
    {
        string path = "/tmp/" + new string('d', 150) + "/missing.csv";
        var previousOut = Console.Out;
        var previousError = Console.Error;
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = CliErrors.Run(() => throw new ArgumentException($"{path} has a bad row 3,\ncolumn 2.", "options"));
            Assert.Equal(1, code);
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }

        Assert.Equal("", output.ToString());
        Assert.Equal($"error: {path} has a bad row 3, column 2.{Environment.NewLine}", error.ToString());
    }

    [Theory]
    [InlineData("loss --nope", "Unrecognized command or argument '--nope'", "usage: classloss loss --help")]
    [InlineData("train --epochs", "Required argument missing for option: '--epochs'", "usage: classloss train --help")]
    [InlineData("eval", "Required argument missing for command: 'eval'", "usage: classloss eval --help")]
    [InlineData("frobnicate", "Unrecognized command or argument 'frobnicate'", "usage: classloss --help")]
    public void AUsageError_IsExitCodeTwo_WithAPointerToHelp(string line, string message, string usage)
    {
        var (code, output) = CliRunner.Run(line.Split(' '));
        Assert.Equal(CliErrors.UsageError, code);
        var lines = output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("error: ", StringComparison.Ordinal) && l.Contains(message, StringComparison.Ordinal));
        Assert.Equal(usage, lines[^1]);
    }

    [Fact]
    public void BadInput_IsExitCodeOne_AndHelpIsZero()
    {
        Assert.Equal(1, CliRunner.Run("eval", "/nonexistent/predictions.csv").Code);
        Assert.Equal(0, CliRunner.Run("eval", "--help").Code);
    }
}
