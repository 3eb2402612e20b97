using ClassLoss.Cli;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Cli;

[Collection("Console")]
public class LossCommandTests
{
    private static (int Code, string Output) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Seed002Example_ShowsMinusLnPointOneAndThePerClassBceSum()
    {
        var (code, output) = Run("loss", "--targets", "1,0,0,0,0", "--probabilities", "0.1,0.5,0.1,0.1,0.2");
        Assert.Equal(0, code);
        // Seed 002: -ln 0.1 = 2.303 for the categorical CE; the per-class binary decomposition gives 3.4.
        Assert.Contains("2.30259", output, StringComparison.Ordinal);
        Assert.Contains("3.4296", output, StringComparison.Ordinal);
        Assert.Contains("Brier score", output, StringComparison.Ordinal);
    }

    [Fact]
    public void NonNumericValue_IsOneClearErrorWithExitCodeOne()
    {
        var (code, output) = Run("loss", "--targets", "2", "--logits", "1,2,x");
        Assert.Equal(1, code);
        Assert.Contains("--logits: value 2 ('x') is not a number", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassIndexOutsideTheRow_IsRejected()
    {
        var (code, output) = Run("loss", "--targets", "7", "--logits", "1,2,3");
        Assert.Equal(1, code);
        Assert.Contains("outside [0, 3)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void File_GivesTheMeanOverItsRows()
    {
        string path = Path.Combine(Path.GetTempPath(), $"classloss-loss-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "label,a,b,c,d,e\n0,0.1,0.5,0.1,0.1,0.2\n1,0.1,0.5,0.1,0.1,0.2\n");
        try
        {
            var (code, output) = Run("loss", "--file", path);
            Assert.Equal(0, code);
            // Mean CE of the two rows: (-ln 0.1 - ln 0.5) / 2 = 1.49787.
            Assert.Contains("1.49787", output, StringComparison.Ordinal);
            Assert.Contains("2 rows, K = 5", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
