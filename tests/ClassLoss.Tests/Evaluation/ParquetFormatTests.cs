using ClassLoss.Evaluation;
using Parquet.Schema;

namespace ClassLoss.Tests.Evaluation;

public class ParquetFormatTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Parquet_SameNumbersAsCsv_Exactly(bool list, bool logits)
    {
        var (labels, values) = ColumnarFiles.Random(1, 1000, 4, logits);
        var classes = ColumnarFiles.Classes(4);
        string csv = ColumnarFiles.Csv("p.csv", classes, labels, values);
        string pq = ColumnarFiles.Parquet("p.parquet", classes, list ? labels.Select(l => (l[0] - 'a').ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray() : labels, values, groupRows: 128, list: list);
        var o = new PredictionReaderOptions { Values = logits ? PredictionValues.Logits : PredictionValues.Probabilities };
        var fromCsv = ColumnarFiles.Eval(csv, o);
        var fromParquet = ColumnarFiles.Eval(pq, o);
        // The list layout names its classes 0..K-1, so compare everything but the names.
        Assert.Equal(ColumnarFiles.Fingerprint(fromCsv).Replace("a ", "0 ").Replace(";b ", ";1 ").Replace(";c ", ";2 ").Replace(";d ", ";3 "),
            list ? ColumnarFiles.Fingerprint(fromParquet) : ColumnarFiles.Fingerprint(fromParquet).Replace("a ", "0 ").Replace(";b ", ";1 ").Replace(";c ", ";2 ").Replace(";d ", ";3 "));
        Assert.Equal(1000, fromParquet.Rows);
    }

    [Fact]
    public void Parquet_Rows_AndBinaryConvention_AsCsv()
    {
        var (labels, values) = ColumnarFiles.Random(2, 500, 2, logits: false);
        var binLabels = labels.Select(l => l == "b" ? "spam" : "ham").ToArray();
        var one = values.Select(r => new[] { r[1] }).ToArray();
        string csv = ColumnarFiles.Csv("b.csv", ["p"], binLabels, one);
        string pq = ColumnarFiles.Parquet("b.parquet", ["p"], binLabels, one, groupRows: 64);
        var o = new PredictionReaderOptions { PositiveLabel = "spam", FirstRow = 70, EndRow = 430 };
        Assert.Equal(ColumnarFiles.Fingerprint(ColumnarFiles.Eval(csv, o)), ColumnarFiles.Fingerprint(ColumnarFiles.Eval(pq, o)));
        Assert.Equal(360, ColumnarFiles.Eval(pq, o).Rows);
    }

    [Fact]
    public void Parquet_FloatColumns_AreReadAsFloats()
    {
        var (labels, values) = ColumnarFiles.Random(3, 300, 3, logits: true);
        var rounded = values.Select(r => r.Select(v => (double)(float)v).ToArray()).ToArray();
        var classes = ColumnarFiles.Classes(3);
        var o = new PredictionReaderOptions { Values = PredictionValues.Logits };
        Assert.Equal(ColumnarFiles.Fingerprint(ColumnarFiles.Eval(ColumnarFiles.Csv("f.csv", classes, labels, rounded), o)),
            ColumnarFiles.Fingerprint(ColumnarFiles.Eval(ColumnarFiles.Parquet("f.parquet", classes, labels, values, 100, asFloat: true), o)));
    }

    [Fact]
    public void Parquet_NaN_NamesFileRowAndRowGroup()
    {
        var (labels, values) = ColumnarFiles.Random(4, 300, 3, logits: true);
        values[205][1] = double.NaN;
        string pq = ColumnarFiles.Parquet("nan.parquet", ColumnarFiles.Classes(3), labels, values, 100);
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(pq, new PredictionReaderOptions { Values = PredictionValues.Logits }));
        Assert.Equal($"{pq} row 205 (row group 2): column 'b' is NaN, not a number.", e.Message);
    }

    [Fact]
    public void Parquet_OutOfRangeProbability_NamesRow()
    {
        var (labels, values) = ColumnarFiles.Random(5, 50, 3, logits: false);
        values[17][0] = 1.5;
        string pq = ColumnarFiles.Parquet("range.parquet", ColumnarFiles.Classes(3), labels, values, 20);
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(pq));
        Assert.StartsWith($"{pq} row 17 (row group 0): class 'a' has probability 1.5", e.Message);
    }

    [Fact]
    public void Parquet_UnknownLabel_NamesRow()
    {
        var (labels, values) = ColumnarFiles.Random(6, 50, 3, logits: false);
        labels[33] = "zebra";
        string pq = ColumnarFiles.Parquet("label.parquet", ColumnarFiles.Classes(3), labels, values, 20);
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(pq));
        Assert.StartsWith($"{pq} row 33 (row group 1): unknown label 'zebra'", e.Message);
    }

    [Fact]
    public void Parquet_Truncated_NamesFile()
    {
        var (labels, values) = ColumnarFiles.Random(7, 200, 3, logits: false);
        string pq = ColumnarFiles.Parquet("t.parquet", ColumnarFiles.Classes(3), labels, values, 50);
        var bytes = File.ReadAllBytes(pq);
        File.WriteAllBytes(pq, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(pq));
        Assert.StartsWith($"{pq}: not a readable Parquet file", e.Message);
    }

    [Fact]
    public void Parquet_CorruptPage_NamesRowGroup()
    {
        var (labels, values) = ColumnarFiles.Random(8, 200, 3, logits: false);
        string pq = ColumnarFiles.Parquet("c.parquet", ColumnarFiles.Classes(3), labels, values, 50);
        var bytes = File.ReadAllBytes(pq);
        // Overwrite the middle of the data (not the footer): some row group's pages no longer decode.
        for (int i = 8; i < bytes.Length / 2; i++)
        {
            bytes[i] = 0xFF;
        }

        File.WriteAllBytes(pq, bytes);
        var e = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(pq));
        Assert.StartsWith($"{pq} row group ", e.Message);
    }

    [Fact]
    public void Parquet_EmptyFile_AndNotParquet_NameFile()
    {
        string empty = TempFiles.WriteBytes("e.parquet", []);
        Assert.StartsWith($"{empty}: not a readable Parquet file", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(empty)).Message);
        string text = TempFiles.Write("x.parquet", "label,a,b\na,0.5,0.5\n");
        Assert.StartsWith($"{text}: not a readable Parquet file", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(text)).Message);
    }

    [Fact]
    public void Parquet_NoRows_IsAnError()
    {
        string pq = ColumnarFiles.Parquet("none.parquet", ColumnarFiles.Classes(3), [], [], 10);
        Assert.Contains("no data rows", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(pq)).Message);
    }

    [Fact]
    public void Parquet_MissingLabel_AndWrongTypes_NameFileAndColumn()
    {
        string path = Path.Combine(TempFiles.Directory("pq"), "types.parquet");
        var y = new DataField<string>("target");
        var a = new DataField<double>("a");
        var b = new DataField<int>("b");
        ColumnarFiles.WriteParquet(path, new ParquetSchema(y, a, b), async group =>
        {
            await group.WriteAsync(y, new[] { "a" });
            await group.WriteAsync<double>(a, new[] { 0.5 });
            await group.WriteAsync<int>(b, new[] { 1 });
        });

        var missing = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(path));
        Assert.Equal($"{path}: no label column 'label' among the columns (target, a, b); name it with --label-column.", missing.Message);
        var wrong = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(path, new PredictionReaderOptions { LabelColumn = "target" }));
        Assert.StartsWith($"{path}: column 'b' is Int32; expected float or double", wrong.Message);
        var label = Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(path, new PredictionReaderOptions { LabelColumn = "a" }));
        Assert.StartsWith($"{path}: the label column 'a' is Double", label.Message);
    }

    [Fact]
    public void Parquet_NullValue_AndRaggedList_NameRow()
    {
        string path = Path.Combine(TempFiles.Directory("pq"), "null.parquet");
        var y = new DataField<long>("label");
        var a = new DataField<double?>("a");
        var b = new DataField<double?>("b");
        ColumnarFiles.WriteParquet(path, new ParquetSchema(y, a, b), async group =>
        {
            await group.WriteAsync<long>(y, new long[] { 0, 1, 1 });
            await group.WriteAsync<double>(a, new double?[] { 0.5, 0.25, 0.5 });
            await group.WriteAsync<double>(b, new double?[] { 0.5, null, 0.5 });
        });

        Assert.Equal($"{path} row 1 (row group 0): column 'b' is null.", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(path)).Message);

        string ragged = Path.Combine(TempFiles.Directory("pq"), "ragged.parquet");
        var item = new DataField<double>("element");
        ColumnarFiles.WriteParquet(ragged, new ParquetSchema(y, new ListField("p", item)), async group =>
        {
            await group.WriteAsync<long>(y, new long[] { 0, 1, 1 });
            await group.WriteAsync<double>(item, new double?[] { 0.5, 0.5, 0.2, 0.3, 0.5, 0.4, 0.6 }, new[] { 0, 1, 0, 1, 1, 0, 1 });
        });

        Assert.Equal($"{ragged} row 1 (row group 0): the list column 'p' has 3 values; the first row has 2.", Assert.Throws<InvalidDataException>(() => ColumnarFiles.Eval(ragged)).Message);
    }
}
