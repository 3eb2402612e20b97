namespace ClassLoss.Tests.Oracle;

/// <summary>
/// Every golden file written by <c>generate_golden.py</c> loads with <see cref="GoldenFile"/> and is self-consistent,
/// so the tests of the other kernels (BCE, NLL, KL, focal, multi-margin, activations) can rely on the same loader.
/// </summary>
public class GoldenFilesTests
{
    public static TheoryData<string, int> Files => new()
    {
        { "cross_entropy", 300 },
        { "binary_cross_entropy_with_logits", 40 },
        { "binary_cross_entropy", 30 },
        { "nll_loss", 40 },
        { "kl_div", 30 },
        { "sigmoid_focal_loss", 50 },
        { "multi_margin_loss", 30 },
        { "multilabel_margin_loss", 30 },
        { "multilabel_soft_margin_loss", 20 },
        { "gaussian_nll_loss", 30 },
        { "softmax", 15 },
        { "log_softmax", 15 },
        { "sigmoid", 15 },
        { "logsigmoid", 15 },
        { "softplus", 45 },
        { "logit", 30 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void GoldenFile_LoadsAndIsSelfConsistent(string function, int minimumCases)
    {
        var file = GoldenFile.Load(function);
        Assert.Equal(function, file.Function);
        Assert.StartsWith("1.13", file.TorchVersion, StringComparison.Ordinal);
        Assert.True(file.Cases.Count >= minimumCases, $"{function}: {file.Cases.Count} cases");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in file.Cases)
        {
            Assert.True(names.Add(c.Name), $"{function}: duplicate case {c.Name}");
            Assert.Equal(2, c.Shape.Length);
            int n = c.Rows, k = c.Classes;
            Assert.Equal(n * k, c.Input.Length);
            Assert.Equal(n * k, c.Grad.Length);
            if (c.Labels is not null)
            {
                Assert.Equal(n, c.Labels.Length);
            }

            if (c.Target is not null)
            {
                Assert.Equal(n * k, c.Target.Length);
            }

            if (c.Upstream is not null)
            {
                Assert.Equal(n * k, c.Upstream.Length);
                Assert.Equal(n * k, c.Output!.Length);
            }
            else
            {
                Assert.True(c.Labels is not null || c.Target is not null, $"{function}/{c.Name}: no targets");
            }

            if (c.RowLosses is not null)
            {
                int expected = 1;
                foreach (int d in c.RowLossesShape!)
                {
                    expected *= d;
                }

                Assert.Equal(expected, c.RowLosses.Length);
                Assert.Equal("none", c.String("reduction"));
            }
        }
    }

    [Fact]
    public void NonFiniteValues_AreParsedFromStrings()
    {
        var ce = GoldenFile.Load("cross_entropy");
        Assert.Contains(ce.Cases, c => Array.Exists(c.Input, double.IsNegativeInfinity));
        Assert.Contains(ce.Cases, c => double.IsNaN(c.Loss));
    }
}
