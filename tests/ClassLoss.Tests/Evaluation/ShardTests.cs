using ClassLoss.Evaluation;

namespace ClassLoss.Tests.Evaluation;

public class ShardTests
{
    /// <summary>Splits rows into shards at the given starts and writes each with <paramref name="write"/> into one directory.</summary>
    private static string Shards(string[] labels, double[][] values, int[] starts, Func<string, string[], double[][], string> write)
    {
        string dir = TempFiles.Directory("shards");
        for (int s = 0; s < starts.Length; s++)
        {
            int end = s + 1 < starts.Length ? starts[s + 1] : labels.Length;
            string file = write($"part-{s:D3}", labels[starts[s]..end], values[starts[s]..end]);
            File.Move(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        return dir;
    }

    [Fact]
    public void CsvShards_AreOneConcatenation_Exactly_WithRowsAcrossShards()
    {
        var (labels, values) = ColumnarFiles.Random(31, 1000, 3, logits: true);
        var classes = ColumnarFiles.Classes(3);
        string whole = ColumnarFiles.Csv("whole.csv", classes, labels, values);
        string dir = Shards(labels, values, [0, 310, 311, 700], (name, l, v) => ColumnarFiles.Csv(name + ".csv", classes, l, v));
        File.WriteAllText(Path.Combine(dir, "_SUCCESS"), "");
        File.WriteAllText(Path.Combine(dir, ".crc"), "x");
        foreach (var o in new[] { new PredictionReaderOptions { Values = PredictionValues.Logits }, new PredictionReaderOptions { Values = PredictionValues.Logits, FirstRow = 300, EndRow = 705 } })
        {
            Assert.Equal(ColumnarFiles.Fingerprint(ColumnarFiles.Eval(whole, o)), ColumnarFiles.Fingerprint(ColumnarFiles.Eval(dir, o)));
            Assert.Equal(ColumnarFiles.Fingerprint(ColumnarFiles.Eval(whole, o)), ColumnarFiles.Fingerprint(ColumnarFiles.Eval(Path.Combine(dir, "part-*.csv"), o)));
        }
    }

    [Fact]
    public void ParquetAndArrowShards_ByGlob_MatchTheWholeCsv()
    {
        var (labels, values) = ColumnarFiles.Random(32, 800, 4, logits: false);
        var classes = ColumnarFiles.Classes(4);
        string whole = ColumnarFiles.Fingerprint(ColumnarFiles.Eval(ColumnarFiles.Csv("whole.csv", classes, labels, values)));
        string pq = Shards(labels, values, [0, 200, 650], (name, l, v) => ColumnarFiles.Parquet(name + ".parquet", classes, l, v, 64));
        File.WriteAllText(Path.Combine(pq, "notes.txt"), "not a shard");
        Assert.Equal(whole, ColumnarFiles.Fingerprint(ColumnarFiles.Eval(Path.Combine(pq, "part-*.parquet"))));
        string arrow = Shards(labels, values, [0, 99, 400], (name, l, v) => ColumnarFiles.Arrow(name + ".arrows", classes, l, v, 50, stream: true));
        Assert.Equal(whole, ColumnarFiles.Fingerprint(ColumnarFiles.Eval(arrow)));
    }

    [Fact]
    public void MixedFormats_AreRefused()
    {
        var (labels, values) = ColumnarFiles.Random(33, 100, 3, logits: false);
        var classes = ColumnarFiles.Classes(3);
        string dir = Shards(labels, values, [0, 50], (name, l, v) => name.EndsWith('0')
            ? ColumnarFiles.Csv(name + ".csv", classes, l, v)
            : ColumnarFiles.Parquet(name + ".parquet", classes, l, v, 10));
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(dir));
        Assert.Equal($"{dir}: the shards mix formats ({Path.Combine(dir, "part-000.csv")} is CSV/TSV, {Path.Combine(dir, "part-001.parquet")} is Parquet); give shards of one format.", e.Message);
    }

    [Fact]
    public void ErrorInALaterShard_NamesTheShardAndLine()
    {
        var (labels, values) = ColumnarFiles.Random(34, 100, 3, logits: true);
        values[75][1] = double.NaN;
        var classes = ColumnarFiles.Classes(3);
        string dir = Shards(labels, values, [0, 40, 70], (name, l, v) => ColumnarFiles.Parquet(name + ".parquet", classes, l, v, 4));
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(dir, new PredictionReaderOptions { Values = PredictionValues.Logits }));
        Assert.Equal($"{Path.Combine(dir, "part-002.parquet")} row 5 (row group 1): column 'b' is NaN, not a number.", e.Message);

        var bad = labels.ToArray();
        bad[45] = "zebra";
        string csv = Shards(bad, values.Select(r => r.Select(v => double.IsNaN(v) ? 0 : v).ToArray()).ToArray(), [0, 40], (name, l, v) => ColumnarFiles.Csv(name + ".csv", classes, l, v));
        e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(csv, new PredictionReaderOptions { Values = PredictionValues.Logits }));
        Assert.StartsWith($"{Path.Combine(csv, "part-001.csv")} line 7: unknown label 'zebra'", e.Message);
    }

    [Fact]
    public void ShardsWithOtherClasses_AreRefused_NamingTheShard()
    {
        var (labels, values) = ColumnarFiles.Random(35, 100, 3, logits: true);
        string dir = Shards(labels, values, [0, 50], (name, l, v) => ColumnarFiles.Csv(name + ".csv", name.EndsWith('0') ? ["a", "b", "c"] : ["a", "c", "b"], l, v));
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(dir, new PredictionReaderOptions { Values = PredictionValues.Logits }));
        Assert.Equal($"{Path.Combine(dir, "part-001.csv")}: the classes (a, c, b) differ from those of {Path.Combine(dir, "part-000.csv")} (a, b, c).", e.Message);
    }

    [Fact]
    public void EmptyDirectory_AndGlobWithoutMatches_AreErrors()
    {
        string dir = TempFiles.Directory("empty");
        Assert.Equal($"{dir}: the directory has no shard files.", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(dir)).Message);
        string glob = Path.Combine(dir, "part-*.csv");
        Assert.Equal($"{glob}: no files match.", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(glob)).Message);
    }
}
