using ClassLoss.Cli;

namespace ClassLoss.Tests.Cli;

/// <summary>The CLI's error contract: one line on standard error, never wrapped, no .NET parameter names, exit code 1.</summary>
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
}
