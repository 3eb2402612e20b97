using System.Text;
using ClassLoss.Evaluation;

namespace ClassLoss.Tests.Evaluation;

public class MergeTests
{
    private static (int[] Labels, double[][] P) Rows(int seed, int n, int k)
    {
        var (labels, values) = ColumnarFiles.Random(seed, n, k, logits: false);
        return ([.. labels.Select(l => l[0] - 'a')], values);
    }

    private static Metrics Pass(string[] names, int[] y, double[][] p, int from, int to, MetricsOptions o)
    {
        var m = new Metrics(names, o);
        for (int i = from; i < to; i++)
        {
            m.Add(y[i], p[i]);
        }

        return m;
    }

    private static Metrics RoundTrip(Metrics m)
    {
        using var stream = new MemoryStream();
        m.SavePartial(stream);
        stream.Position = 0;
        return Metrics.LoadPartial(stream, "part.json");
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    [InlineData(3, 10)]
    public void MergedPartials_AreBitForBit_OnePass_InAnyOrder(int seed, int k)
    {
        var names = ColumnarFiles.Classes(k);
        var (y, p) = Rows(seed, 5000, k);
        var o = new MetricsOptions { EqualMass = false };
        string one = ColumnarFiles.Fingerprint(Pass(names, y, p, 0, y.Length, o).Compute());
        var rng = new Random(seed);
        for (int trial = 0; trial < 5; trial++)
        {
            var cuts = Enumerable.Range(0, 1 + rng.Next(5)).Select(_ => rng.Next(1, y.Length)).Append(0).Append(y.Length).Distinct().Order().ToArray();
            var parts = new List<Metrics>();
            for (int i = 0; i + 1 < cuts.Length; i++)
            {
                parts.Add(RoundTrip(Pass(names, y, p, cuts[i], cuts[i + 1], o)));
            }

            // Any order: the sums are exact integers.
            var order = parts.OrderBy(_ => rng.Next()).ToList();
            var merged = RoundTrip(order[0]);
            foreach (var part in order.Skip(1))
            {
                merged.Merge(part);
            }

            Assert.Equal(one, ColumnarFiles.Fingerprint(merged.Compute()));
        }
    }

    [Fact]
    public void InMemoryMerge_KeepsTheRankingMetrics_WhenBothSidesKeepRows()
    {
        var names = ColumnarFiles.Classes(3);
        var (y, p) = Rows(4, 2000, 3);
        var o = new MetricsOptions { Ranking = true };
        var a = Pass(names, y, p, 0, 700, o);
        a.Merge(Pass(names, y, p, 700, y.Length, o));
        Assert.Equal(ColumnarFiles.Fingerprint(Pass(names, y, p, 0, y.Length, o).Compute()), ColumnarFiles.Fingerprint(a.Compute()));
    }

    [Fact]
    public void PartialFile_HasNoRowData_SoEqualMassAndRankingAreUnavailable()
    {
        var names = ColumnarFiles.Classes(3);
        var (y, p) = Rows(5, 300, 3);
        var r = RoundTrip(Pass(names, y, p, 0, y.Length, new MetricsOptions { Ranking = true })).Compute();
        Assert.True(double.IsNaN(r.EceEqualMass));
        Assert.Null(r.MacroRocAuc);
        Assert.Empty(r.RocAuc);
    }

    [Fact]
    public void Mismatched_OrMalformedPartials_AreErrors()
    {
        var (y, p) = Rows(6, 100, 3);
        var a = Pass(ColumnarFiles.Classes(3), y, p, 0, 100, new MetricsOptions { EqualMass = false });
        var b = Pass(["x", "y", "z"], y, p, 0, 100, new MetricsOptions { EqualMass = false });
        Assert.Contains("3 classes (x, y, z) against 3 (a, b, c)", Assert.Throws<ArgumentException>(() => a.Merge(b)).Message);
        var c = Pass(ColumnarFiles.Classes(3), y, p, 0, 100, new MetricsOptions { EqualMass = false, Bins = 10 });
        Assert.Contains("bins 10", Assert.Throws<ArgumentException>(() => a.Merge(c)).Message);

        using var stream = new MemoryStream();
        a.SavePartial(stream);
        string json = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("\"version\": 1", json);
        Assert.Contains("\"classes\": 3", json);
        Load(json.Replace("\"version\": 1", "\"version\": 2"), "partial-result version 2; this build reads version 1");
        Load(json.Replace("\"bin_count\"", "\"bin_counts\""), "part.json: a malformed partial-result file");
        Load(json[..(json.Length / 2)], "part.json line ");
        Load("{}", "part.json: not a partial-result file");
    }

    private static void Load(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Metrics.LoadPartial(new MemoryStream(Encoding.UTF8.GetBytes(json)), "part.json"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AboveMaxConfusionClasses_NoConfusionMatrix_PerClassScoresFromCounts_AndTheyMerge()
    {
        int k = Metrics.MaxConfusionClasses + 1;
        var names = Enumerable.Range(0, k).Select(c => "c" + c).ToArray();
        var o = new MetricsOptions { EqualMass = false };
        var p = new double[k];
        var a = new Metrics(names, o);
        var b = new Metrics(names, o);
        p[7] = 1;
        a.Add(7, p);
        b.Add(9, p);
        a.Merge(RoundTrip(b));
        var r = a.Compute();
        Assert.Empty(r.Confusion);
        Assert.Equal(0.5, r.PerClass[7].Precision);
        Assert.Equal(1.0, r.PerClass[7].Recall);
        Assert.Equal(1, r.PerClass[9].Support);
        Assert.Equal(0.0, r.PerClass[9].Recall);
        Assert.Equal(0.5, r.Accuracy);
    }
}
