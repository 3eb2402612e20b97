using System.Globalization;
using System.Text.RegularExpressions;
using ClassLoss.Cli.Experiments;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Cli;

/// <summary>
/// The experiments' HTML report in a real browser (issue 15): headless Chromium (Debian's <c>chromium</c>, which
/// scripts/test.sh installs when it is absent) opens report.html from a <c>--quick</c> run; the test fails on any
/// console message or script error, on a missing section or an explorer that drew nothing, and saves a screenshot under
/// runs/browser-test/.
/// </summary>
[Collection("Console")]
public sealed class HtmlReportBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public void Report_OpensInChromium_WithEverySectionAndTheExplorerDrawn_AndNoConsoleMessage()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/test.sh installs Debian's chromium (apt-get install chromium)");
        string dir = Directory.CreateTempSubdirectory("classloss-html").FullName;
        var (code, output) = CliRunner.Run("experiments", "--quick", "--out", dir);
        Assert.True(code == 0, output);
        Assert.Contains("HTML report (self-contained, open in a browser): ", output, StringComparison.Ordinal);
        string page = Path.Combine(dir, HtmlReport.FileName);
        string html = File.ReadAllText(page);
        // Self-contained: no remote resource, every plot embedded.
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"convergence.png\"", html, StringComparison.Ordinal);
        Assert.Equal(ExperimentsCommand.Plots.Length, Regex.Count(html, "src=\"data:image/png;base64,"));

        var (dom, log) = Browse("--dump-dom", page);
        var console = log.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        Assert.True(console.Count == 0, "console output:\n" + string.Join('\n', console));
        Assert.DoesNotContain("data-errors=", dom, StringComparison.Ordinal);
        foreach (var section in ExperimentsCommand.Sections)
        {
            string number = section.Title.Split(' ')[0];
            Assert.Matches($"<h2 id=\"[^\"]*\">{number}\\. ", dom);
        }

        Assert.Contains("<h2 id=\"summary\">Summary</h2>", dom, StringComparison.Ordinal);
        Assert.Contains("data-explorer=\"", dom, StringComparison.Ordinal);
        var drawn = Regex.Match(dom, "drawn (\\d+) points of [a-z0-9-]+ \\((\\d+) losses\\)");
        Assert.True(drawn.Success, "the explorer wrote no status line");
        Assert.True(int.Parse(drawn.Groups[1].Value, CultureInfo.InvariantCulture) >= 40, drawn.Value);
        // Every catalogue loss, those whose weights come from class counts included (the example carries counts).
        Assert.True(int.Parse(drawn.Groups[2].Value, CultureInfo.InvariantCulture) == LossCatalog.Entries.Count, drawn.Value);

        string shots = Path.Combine(ArchitectureTests.RepositoryRoot(), "runs", "browser-test");
        Directory.CreateDirectory(shots);
        string shot = Path.Combine(shots, "report.png");
        File.Delete(shot);
        Browse($"--screenshot={shot}", page, "--window-size=1200,2400", "--hide-scrollbars");
        Assert.True(new FileInfo(shot).Length > 10_000, $"no screenshot at {shot}");
    }

    private static (string Stdout, string Stderr) Browse(string action, string page, params string[] extra)
    {
        var (code, stdout, stderr) = ExternalProcess.Run(Chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", .. extra, action, "file://" + page], timeoutSeconds: 120);
        Assert.True(code != -1, stderr);
        return (stdout, stderr);
    }
}
