using System.Text;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Cli;

/// <summary>
/// Inputs an evaluation meets in the wild (issue 14 item 6): a machine whose culture writes decimals with a comma, and a
/// file of a million columns.
/// </summary>
[Collection("Console")]
public sealed class HostileInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("classloss-hostile").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ACommaDecimalMachine_ReadsAndReportsTheSameNumbers()
    {
        // The CLI runs in .NET's invariant globalization mode (Directory.Build.props), so no machine culture reaches its
        // parsing or printing: the runtime config says so, and a process under a German locale prints the same report.
        string cli = Path.Combine(AppContext.BaseDirectory, "ClassLoss.Cli.dll");
        string config = File.ReadAllText(Path.ChangeExtension(cli, ".runtimeconfig.json"));
        Assert.Contains("\"System.Globalization.Invariant\": true", config, StringComparison.Ordinal);
        string path = Path.Combine(_dir, "p.csv");
        File.WriteAllText(path, "label,a,b,c\na,0.7,0.2,0.1\nb,0.25,0.5,0.25\nc,0.125,0.125,0.75\na,0.5,0.4,0.1\n");
        string Report(string? locale)
        {
            var environment = locale is null ? null : new Dictionary<string, string> { ["LANG"] = locale, ["LC_ALL"] = locale };
            var (code, output, error) = ExternalProcess.Run("dotnet", [cli, "eval", path, "--json"], environment);
            Assert.True(code == 0, error);
            return WithoutTimes(output);
        }

        Assert.Equal(Report(null), Report("de_DE.UTF-8"));
    }

    [Fact]
    public void AMillionColumns_IsEvaluated_WithoutTheConfusionMatrix_NotACrash()
    {
        const int k = 1_000_000;
        string path = Path.Combine(_dir, "wide.csv");
        var text = new StringBuilder("label");
        for (int c = 0; c < k; c++)
        {
            text.Append(",c").Append(c);
        }

        text.Append('\n');
        foreach (string label in new[] { "c3", "c999999" })
        {
            text.Append(label).Append(string.Concat(Enumerable.Repeat(",1e-6", k))).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
        var (code, output) = CliRunner.Run("eval", path, "--json");
        Assert.True(code == 0, output.Length > 2000 ? output[..2000] : output);
        Assert.Contains("\"log_loss\": 13.81", output, StringComparison.Ordinal); // -ln(1e-6) = 13.8155
        Assert.Contains("confusion matrix", output, StringComparison.Ordinal); // the warning that it was left out
    }

    private static string WithoutTimes(string json) =>
        string.Join('\n', json.Split('\n').Where(l => !l.Contains("\"seconds\"", StringComparison.Ordinal) && !l.Contains("rows_per_second", StringComparison.Ordinal)));
}
