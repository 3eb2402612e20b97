using System.Globalization;
using System.Text.Json;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Evaluation;

/// <summary>
/// Mergeable partial results on a real engine (issue 14 item 4): scripts/dask_eval.py starts a Dask LocalCluster of 2
/// worker processes (Debian's python3-dask and python3-distributed, which scripts/test.sh installs when absent), maps
/// <c>classloss eval SHARD --partial</c> over three CSV shards on the workers and merges the partials with
/// <c>classloss eval --merge --json</c>; every metric equals one pass over the whole file, to the last bit (every JSON
/// number the same double), except the equal-mass ECE, which merge mode reports as unavailable.
/// </summary>
public sealed class DaskMergeTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _dir = Directory.CreateTempSubdirectory("classloss-dask").FullName;

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("KEEP_DASK_DIR") is null)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void ShardsEvaluatedOnADaskClusterAndMerged_EqualOnePassOverTheWholeFile()
    {
        var (code, _, error) = ExternalProcess.Run(Python, ["-c", "import dask.distributed"]);
        Assert.True(code == 0, $"Debian's python3-dask and python3-distributed are missing ({error.Trim()}): scripts/test.sh installs them");
        WriteShards(rows: 3000, shards: 3, classes: 4);
        string cli = Path.Combine(AppContext.BaseDirectory, "ClassLoss.Cli.dll");
        var one = ExternalProcess.Run("dotnet", [cli, "eval", Path.Combine(_dir, "all.csv"), "--values", "logits", "--json"]);
        Assert.True(one.Code == 0, one.Error);
        string script = Path.Combine(ArchitectureTests.RepositoryRoot(), "scripts", "dask_eval.py");
        string merged = Path.Combine(_dir, "merged.json");
        var dask = ExternalProcess.Run(Python,
            [script, "--classloss", $"dotnet {cli}", "--workers", "2", "--out", merged, Path.Combine(_dir, "part-*.csv"), "--", "--values", "logits"]);
        Assert.True(dask.Code == 0, dask.Error);
        Assert.Contains("3 shards on 2 Dask workers, merged", dask.Error, StringComparison.Ordinal);

        using var a = JsonDocument.Parse(one.Output);
        using var b = JsonDocument.Parse(File.ReadAllText(merged));
        string[] aside = ["file", "seconds", "rows_per_second", "warnings", "ece_equal_mass", "l2_calibration_error"];
        var keys = a.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.Order(), b.RootElement.EnumerateObject().Select(p => p.Name).Order());
        Assert.Contains("log_loss", keys);
        foreach (string key in keys.Except(aside))
        {
            Assert.True(Same(a.RootElement.GetProperty(key), b.RootElement.GetProperty(key)),
                $"{key}: one pass {a.RootElement.GetProperty(key).GetRawText()}, merged {b.RootElement.GetProperty(key).GetRawText()}");
        }
    }

    /// <summary>The same JSON value: numbers equal as doubles (bit for bit; NaN written as the string "NaN"), objects with
    /// the same members in any order, arrays element by element.</summary>
    private static bool Same(JsonElement a, JsonElement b) => (a.ValueKind, b.ValueKind) switch
    {
        (JsonValueKind.Number, JsonValueKind.Number) => a.GetDouble().Equals(b.GetDouble()),
        (JsonValueKind.Object, JsonValueKind.Object) =>
            a.EnumerateObject().Count() == b.EnumerateObject().Count()
            && a.EnumerateObject().All(p => b.TryGetProperty(p.Name, out var q) && Same(p.Value, q)),
        (JsonValueKind.Array, JsonValueKind.Array) =>
            a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(p => Same(p.First, p.Second)),
        _ => a.ValueKind == b.ValueKind && a.GetRawText() == b.GetRawText(),
    };

    /// <summary>all.csv and its shards part-0.csv ... (label, then K logits), drawn from a fixed seed.</summary>
    private void WriteShards(int rows, int shards, int classes)
    {
        var rng = new Random(3);
        string header = "label," + string.Join(",", Enumerable.Range(0, classes).Select(c => $"c{c}"));
        var lines = new List<string>();
        for (int i = 0; i < rows; i++)
        {
            int y = rng.Next(classes);
            var z = Enumerable.Range(0, classes).Select(c => ((rng.NextDouble() * 6) - 3 + (c == y ? 1.5 : 0)).ToString("F6", CultureInfo.InvariantCulture));
            lines.Add($"{y},{string.Join(",", z)}");
        }

        File.WriteAllLines(Path.Combine(_dir, "all.csv"), [header, .. lines]);
        int per = rows / shards;
        for (int s = 0; s < shards; s++)
        {
            File.WriteAllLines(Path.Combine(_dir, $"part-{s}.csv"), [header, .. lines.Skip(s * per).Take(s == shards - 1 ? rows - (s * per) : per)]);
        }
    }
}
