using System.Text.Json;
using ClassLoss.Evaluation;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Evaluation;

/// <summary>
/// The calibration sketch against the exact one-pass equal-mass ECE and ACE (Metrics with every row kept): merged
/// from 1..5 shards split at random points, its bounds hold the exact values on random and adversarial data, and the
/// merge is order-independent and equal to one sketch over all rows.
/// </summary>
[Collection("Console")] // CliRunner swaps the process console: never beside another CLI test
public class CalibrationSketchTests
{
    private static readonly string[] Names3 = ["a", "b", "c"];

    private static (double[] P, int[] Y) Draw(int n, int k, Random rng, int kind)
    {
        var p = new double[n * k];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.Next(k);
            if (kind == 1)
            {
                // Adversarial: one-hot rows (confidences exactly 1 and 0), and a few repeated values (ties).
                int hot = rng.Next(3) == 0 ? rng.Next(k) : y[i];
                double v = rng.Next(2) == 0 ? 1.0 : 1.0 / k;
                for (int c = 0; c < k; c++)
                {
                    p[(i * k) + c] = v == 1.0 ? (c == hot ? 1 : 0) : v;
                }

                continue;
            }

            double sum = 0, sharp = kind == 2 ? 30 : 3;
            for (int c = 0; c < k; c++)
            {
                double z = (sharp * (rng.NextDouble() - 0.5)) + (c == y[i] ? sharp / 3 : 0);
                p[(i * k) + c] = Math.Exp(z);
                sum += p[(i * k) + c];
            }

            for (int c = 0; c < k; c++)
            {
                p[(i * k) + c] /= sum;
            }
        }

        return (p, y);
    }

    private static Metrics Fill(double[] p, int[] y, int k, int from, int to, MetricsOptions options)
    {
        var m = new Metrics([.. Names3.Take(k)], options);
        for (int i = from; i < to; i++)
        {
            m.Add(y[i], p.AsSpan(i * k, k));
        }

        return m;
    }

    private static readonly MetricsOptions Sketched = new() { EqualMass = false, RankingSketch = true, CalibrationSketch = true };

    private static (MetricsReport Exact, MetricsReport Merged, MetricsReport Reversed) Run(double[] p, int[] y, int k, Random rng)
    {
        int n = y.Length;
        var exact = Fill(p, y, k, 0, n, new MetricsOptions { Ranking = true }).Compute();
        int shards = rng.Next(1, 6);
        var cuts = Enumerable.Range(0, shards - 1).Select(_ => rng.Next(n + 1)).Append(0).Append(n).Order().ToArray();
        var parts = Enumerable.Range(0, shards).Select(s => Fill(p, y, k, cuts[s], cuts[s + 1], Sketched)).ToArray();
        var merged = Fill(p, y, k, 0, 0, Sketched);
        foreach (var part in parts)
        {
            merged.Merge(part);
        }

        var reversed = Fill(p, y, k, 0, 0, Sketched);
        foreach (var part in parts.Reverse())
        {
            reversed.Merge(part);
        }

        return (exact, merged.Compute(), reversed.Compute());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void MergedBounds_HoldTheExactOnePassValues(int kind)
    {
        var rng = new Random(14 + kind);
        for (int trial = 0; trial < 40; trial++)
        {
            int k = rng.Next(2, 4), n = trial < 10 ? rng.Next(1, 8) : rng.Next(8, 600);
            var (p, y) = Draw(n, k, rng, kind);
            if (trial % 7 == 0)
            {
                Array.Fill(y, 0); // one class only
            }

            var (exact, merged, reversed) = Run(p, y, k, rng);
            var e = merged.EceEqualMassBounds!.Value;
            var a = merged.AceBounds!.Value;
            Assert.InRange(exact.EceEqualMass, e.Low, e.High);
            Assert.InRange(exact.Ace!.Value, a.Low, a.High);
            Assert.InRange(e.Value, e.Low, e.High);
            Assert.InRange(a.Value, a.Low, a.High);
            Assert.Equal(e, reversed.EceEqualMassBounds);
            Assert.Equal(a, reversed.AceBounds);
        }
    }

    [Fact]
    public void Merge_IsBitIdenticalToOneSketchOverAllRows()
    {
        var rng = new Random(5);
        var (p, y) = Draw(2000, 3, rng, 0);
        var whole = Fill(p, y, 3, 0, 2000, Sketched).Compute();
        var (_, merged, _) = Run(p, y, 3, rng);
        Assert.Equal(whole.EceEqualMassBounds, merged.EceEqualMassBounds);
        Assert.Equal(whole.AceBounds, merged.AceBounds);
    }

    [Fact]
    public void Bounds_AreTightOnSmoothData()
    {
        // Measured: 20,000 rows x 3 classes, widths 0.0026 (equal-mass ECE, M = 10) and 0.0092 (ACE, M = 7 per class).
        var rng = new Random(7);
        var (p, y) = Draw(20000, 3, rng, 0);
        var (exact, merged, _) = Run(p, y, 3, rng);
        var e = merged.EceEqualMassBounds!.Value;
        var a = merged.AceBounds!.Value;
        Assert.True(e.High - e.Low < 3e-3, $"ECE width {e.High - e.Low}");
        Assert.True(a.High - a.Low < 1.2e-2, $"ACE width {a.High - a.Low}");
        Assert.InRange(exact.EceEqualMass, e.Low, e.High);
    }

    [Fact]
    public void Cli_PartialAndMerge_ReportTheEqualMassEceAndAceWithBounds()
    {
        string dir = Directory.CreateTempSubdirectory("calsketch").FullName;
        var rng = new Random(3);
        var (p, y) = Draw(600, 3, rng, 0);
        string Csv(int from, int to) => "label,a,b,c\n" + string.Concat(Enumerable.Range(from, to - from).Select(i =>
            FormattableString.Invariant($"{Names3[y[i]]},{p[i * 3]:R},{p[(i * 3) + 1]:R},{p[(i * 3) + 2]:R}\n")));
        File.WriteAllText(Path.Combine(dir, "all.csv"), Csv(0, 600));
        File.WriteAllText(Path.Combine(dir, "p0.csv"), Csv(0, 250));
        File.WriteAllText(Path.Combine(dir, "p1.csv"), Csv(250, 600));
        foreach (string s in new[] { "p0", "p1" })
        {
            var (code, output) = CliRunner.Run("eval", Path.Combine(dir, s + ".csv"), "--partial", Path.Combine(dir, s + ".json"), "--ranking", "--calibration-sketch");
            Assert.True(code == 0, output);
        }

        var (mergeCode, merged) = CliRunner.Run("eval", "--merge", Path.Combine(dir, "p0.json"), Path.Combine(dir, "p1.json"), "--ranking");
        Assert.True(mergeCode == 0, merged);
        Assert.Contains("the equal-mass ECE comes from the partials' calibration sketches: the exact value lies in [", merged);
        Assert.Contains("ACE from the calibration sketches: the exact value lies in [", merged);
        Assert.Contains("ACE (15 equal-mass bins per class)", merged);
        Assert.DoesNotContain("equal-mass ECE is not available", merged);

        // --json carries the bounds, and they hold the exact values of one pass over the whole file.
        var (jsonCode, json) = CliRunner.Run("eval", "--merge", Path.Combine(dir, "p0.json"), Path.Combine(dir, "p1.json"), "--ranking", "--json");
        Assert.True(jsonCode == 0, json);
        var (exactCode, exactJson) = CliRunner.Run("eval", Path.Combine(dir, "all.csv"), "--ranking", "--json");
        Assert.True(exactCode == 0, exactJson);
        using var sketched = JsonDocument.Parse(json[json.IndexOf('{', StringComparison.Ordinal)..]);
        using var exact = JsonDocument.Parse(exactJson[exactJson.IndexOf('{', StringComparison.Ordinal)..]);
        var bounds = sketched.RootElement.GetProperty("sketch_bounds");
        Assert.Equal(JsonValueKind.Null, exact.RootElement.GetProperty("sketch_bounds").ValueKind);
        void Holds(JsonElement b, double value)
        {
            Assert.InRange(value, b.GetProperty("low").GetDouble(), b.GetProperty("high").GetDouble());
        }

        Holds(bounds.GetProperty("ece_equal_mass"), exact.RootElement.GetProperty("ece_equal_mass").GetDouble());
        Holds(bounds.GetProperty("ace"), exact.RootElement.GetProperty("ace").GetDouble());
        Assert.Equal(bounds.GetProperty("ece_equal_mass").GetProperty("value").GetDouble(), sketched.RootElement.GetProperty("ece_equal_mass").GetDouble());
        var auc = bounds.GetProperty("roc_auc").EnumerateArray().ToArray();
        var exactAuc = exact.RootElement.GetProperty("roc_auc").EnumerateArray().ToArray();
        Assert.Equal(3, auc.Length);
        for (int c = 0; c < 3; c++)
        {
            Holds(auc[c], exactAuc[c].GetDouble());
        }

        var (noSketchCode, noSketch) = CliRunner.Run("eval", Path.Combine(dir, "all.csv"), "--calibration-sketch");
        Assert.Equal(1, noSketchCode);
        Assert.Contains("--calibration-sketch: only with --partial", noSketch);
    }

    /// <summary>Each corruption of a partial's sketches, as (JSON path of the edit, new JSON value): a header that would
    /// allocate from a lie, entries of the wrong shape, counts or sums no rows could give, counts that do not add up.</summary>
    public static TheoryData<string, string> CorruptSketches => new()
    {
        { "confidence_sketch.mantissa_bits", "40" },
        { "confidence_sketch.series.0.0", "5" },
        { "confidence_sketch.series.0.0", "[1, 2]" },
        { "confidence_sketch.series.0.0.1", "1000000" },
        { "confidence_sketch.series.0.0.2", "\"99999999999999999999999999999999999999999999999999\"" },
        { "confidence_sketch.series.0.0.2", "\"abc\"" },
        { "confidence_sketch.series.0.0.3", "7" },
        { "ranking_sketch.bins", "1073741824" },
        { "ranking_sketch.classes.0.0", "[1]" },
        { "ranking_sketch.classes.0.0.1", "-1" },
        { "class_calibration_sketch.series.1", "[]" },
    };

    [Theory]
    [MemberData(nameof(CorruptSketches))]
    public void Merge_RefusesAPartialWhoseSketchCannotDescribeItsRows_InOneLineNamingTheFile(string path, string value)
    {
        string dir = Directory.CreateTempSubdirectory("badsketch").FullName;
        var rng = new Random(5);
        var (p, y) = Draw(200, 3, rng, 0);
        File.WriteAllText(Path.Combine(dir, "p.csv"), "label,a,b,c\n" + string.Concat(Enumerable.Range(0, 200).Select(i =>
            FormattableString.Invariant($"{Names3[y[i]]},{p[i * 3]:R},{p[(i * 3) + 1]:R},{p[(i * 3) + 2]:R}\n"))));
        string part = Path.Combine(dir, "p.json");
        var (code, output) = CliRunner.Run("eval", Path.Combine(dir, "p.csv"), "--partial", part, "--ranking", "--calibration-sketch");
        Assert.True(code == 0, output);

        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(part))!;
        string[] steps = path.Split('.');
        var node = root;
        foreach (string step in steps[..^1])
        {
            node = int.TryParse(step, out int at) ? node![at] : node![step];
        }

        var replacement = System.Text.Json.Nodes.JsonNode.Parse(value);
        if (int.TryParse(steps[^1], out int last))
        {
            node![last] = replacement;
        }
        else
        {
            node![steps[^1]] = replacement;
        }

        string bad = Path.Combine(dir, "bad.json");
        File.WriteAllText(bad, root.ToJsonString());
        var (badCode, badOutput) = CliRunner.Run("eval", "--merge", bad, part, "--ranking");
        Assert.Equal(1, badCode);
        string[] lines = badOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: " + bad + ": ", lines[0]);
        Assert.DoesNotContain("Parameter", lines[0]);
        Assert.DoesNotContain("   at ", badOutput);
    }
}
