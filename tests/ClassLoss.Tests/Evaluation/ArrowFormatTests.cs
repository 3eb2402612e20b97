using ClassLoss.Evaluation;

namespace ClassLoss.Tests.Evaluation;

public class ArrowFormatTests
{
    private static string Renamed(string fingerprint) =>
        fingerprint.Replace("a ", "0 ").Replace(";b ", ";1 ").Replace(";c ", ";2 ").Replace(";d ", ";3 ");

    [Theory]
    [InlineData("p.arrow", false, false, false)]
    [InlineData("p.arrows", true, false, false)]
    [InlineData("l.arrow", false, true, false)]
    [InlineData("l.arrows", true, true, false)]
    [InlineData("f.feather", false, true, true)]
    public void Arrow_SameNumbersAsCsv_Exactly(string name, bool stream, bool list, bool fixedSize)
    {
        var (labels, values) = ColumnarFiles.Random(21, 900, 4, logits: true);
        var classes = ColumnarFiles.Classes(4);
        string csv = ColumnarFiles.Csv("a.csv", classes, labels, values);
        // The list layouts name their classes 0..K-1: the labels are indices there.
        string arrow = ColumnarFiles.Arrow(name, classes, list ? [.. labels.Select(l => ((char)(l[0] - 'a' + '0')).ToString())] : labels, values, batchRows: 200, stream: stream, list: list, fixedSize: fixedSize);
        var o = new PredictionReaderOptions { Values = PredictionValues.Logits };
        Assert.Equal(Renamed(ColumnarFiles.Fingerprint(ColumnarFiles.Eval(csv, o))), Renamed(ColumnarFiles.Fingerprint(ColumnarFiles.Eval(arrow, o))));
    }

    [Fact]
    public void Arrow_Rows_AndBinaryConvention_AsCsv()
    {
        var (labels, values) = ColumnarFiles.Random(22, 400, 2, logits: false);
        var binLabels = labels.Select(l => l == "b" ? "1" : "0").ToArray();
        var one = values.Select(r => new[] { r[1] }).ToArray();
        string csv = ColumnarFiles.Csv("b.csv", ["p"], binLabels, one);
        string arrow = ColumnarFiles.Arrow("b.arrow", ["p"], binLabels, one, 64);
        var o = new PredictionReaderOptions { FirstRow = 10, EndRow = 390 };
        Assert.Equal(ColumnarFiles.Fingerprint(ColumnarFiles.Eval(csv, o)), ColumnarFiles.Fingerprint(ColumnarFiles.Eval(arrow, o)));
    }

    [Fact]
    public void Arrow_NaN_NamesFileRowAndBatch()
    {
        var (labels, values) = ColumnarFiles.Random(23, 300, 3, logits: true);
        values[250][0] = double.NaN;
        string arrow = ColumnarFiles.Arrow("nan.arrow", ColumnarFiles.Classes(3), labels, values, 100);
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(arrow, new PredictionReaderOptions { Values = PredictionValues.Logits }));
        Assert.Equal($"{arrow} row 250 (record batch 2): column 'a' is NaN, not a number.", e.Message);
    }

    [Fact]
    public void Arrow_Truncated_NamesFileAndBatch()
    {
        var (labels, values) = ColumnarFiles.Random(24, 300, 3, logits: false);
        string arrow = ColumnarFiles.Arrow("t.arrows", ColumnarFiles.Classes(3), labels, values, 100, stream: true);
        var bytes = File.ReadAllBytes(arrow);
        File.WriteAllBytes(arrow, bytes[..(bytes.Length * 2 / 3)]);
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(arrow));
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(arrow)} record batch [12]: cannot be read", e.Message);

        string file = ColumnarFiles.Arrow("t.arrow", ColumnarFiles.Classes(3), labels, values, 100);
        bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(file));
        Assert.StartsWith(file, e.Message);
    }

    [Fact]
    public void Arrow_EmptyFile_MissingLabel_WrongType_NameFile()
    {
        string empty = TempFiles.WriteBytes("e.arrow", []);
        Assert.Equal($"{empty} is empty: expected an Arrow IPC file or stream.", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(empty)).Message);
        string text = TempFiles.Write("x.arrow", "label,a,b\na,0.5,0.5\n");
        Assert.StartsWith($"{text}: not a readable Arrow IPC file or stream", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(text)).Message);

        var (labels, values) = ColumnarFiles.Random(25, 10, 3, logits: false);
        string arrow = ColumnarFiles.Arrow("m.arrow", ColumnarFiles.Classes(3), labels, values, 5);
        Assert.Equal($"{arrow}: no label column 'y' among the columns (label, a, b, c); name it with --label-column.",
            Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(arrow, new PredictionReaderOptions { LabelColumn = "y" })).Message);
        Assert.StartsWith($"{arrow}: the label column 'a' is double",
            Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(arrow, new PredictionReaderOptions { LabelColumn = "a" })).Message);

        string ints = Path.Combine(TempFiles.Directory("arrow"), "ints.arrow");
        var batch = new Apache.Arrow.RecordBatch.Builder()
            .Append("label", true, new Apache.Arrow.Int64Array.Builder().Append(0).Build())
            .Append("a", true, new Apache.Arrow.DoubleArray.Builder().Append(0.5).Build())
            .Append("b", true, new Apache.Arrow.Int32Array.Builder().Append(1).Build())
            .Build();
        using (var file = File.Create(ints))
        using (var writer = new Apache.Arrow.Ipc.ArrowFileWriter(file, batch.Schema))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }

        Assert.StartsWith($"{ints}: column 'b' is int32; expected float or double",
            Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(ints)).Message);
    }

    [Fact]
    public void Arrow_NoRows_IsAnError()
    {
        // Apache.Arrow's writer leaves out the schema of a stream with no batches.
        string arrow = ColumnarFiles.Arrow("none.arrows", ColumnarFiles.Classes(3), [], [], 10, stream: true);
        Assert.Equal($"{arrow}: not a readable Arrow IPC file or stream (no schema).", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(arrow)).Message);
    }
}
