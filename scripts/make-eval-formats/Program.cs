// make-eval-formats N DIR: N rows of 10 float32 logits (normal, seed 0) and int64 labels in [0, 10), written as
// DIR/preds.csv, DIR/preds.parquet (row groups of 131,072 rows), DIR/preds.arrow (record batches of 65,536 rows),
// DIR/preds.npy + DIR/labels.npy. The same numbers in every file: the CSV holds each float32 widened to double, in R format.
using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Parquet;
using Parquet.Schema;

int n = int.Parse(args[0], CultureInfo.InvariantCulture);
string dir = args[1];
Directory.CreateDirectory(dir);
const int K = 10;
var rng = new Random(0);
var z = new float[(long)n * K];
var y = new long[n];
for (int i = 0; i < n; i++)
{
    y[i] = rng.Next(K);
    for (int c = 0; c < K; c++)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        z[(long)i * K + c] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}

using (var csv = new StreamWriter(Path.Combine(dir, "preds.csv"), false, new UTF8Encoding(false), 1 << 20))
{
    csv.Write("label," + string.Join(',', Enumerable.Range(0, K)) + "\n");
    for (int i = 0; i < n; i++)
    {
        csv.Write(y[i].ToString(CultureInfo.InvariantCulture));
        for (int c = 0; c < K; c++)
        {
            csv.Write(',');
            csv.Write(((double)z[(long)i * K + c]).ToString("R", CultureInfo.InvariantCulture));
        }

        csv.Write('\n');
    }
}

var label = new DataField<long>("label");
var columns = Enumerable.Range(0, K).Select(c => new DataField<float>(c.ToString(CultureInfo.InvariantCulture))).ToArray();
await using (var stream = File.Create(Path.Combine(dir, "preds.parquet")))
await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema([label, .. columns]), stream))
{
    for (int start = 0; start < n; start += 131072)
    {
        int rows = Math.Min(131072, n - start);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync<long>(label, y.AsMemory(start, rows));
        var column = new float[rows];
        for (int c = 0; c < K; c++)
        {
            for (int i = 0; i < rows; i++)
            {
                column[i] = z[(long)(start + i) * K + c];
            }

            await group.WriteAsync<float>(columns[c], column);
        }
    }
}

var schema = new Apache.Arrow.Schema.Builder().Field(f => f.Name("label").DataType(Apache.Arrow.Types.Int64Type.Default))
    .Field(f => f.Name("p").DataType(new Apache.Arrow.Types.FixedSizeListType(new Apache.Arrow.Field("item", Apache.Arrow.Types.FloatType.Default, false), K)))
    .Build();
using (var stream = File.Create(Path.Combine(dir, "preds.arrow")))
using (var writer = new ArrowFileWriter(stream, schema))
{
    for (int start = 0; start < n; start += 65536)
    {
        int rows = Math.Min(65536, n - start);
        var labels = new Int64Array.Builder().AppendRange(y.Skip(start).Take(rows)).Build();
        var values = new FloatArray.Builder().AppendRange(z.AsSpan(start * K, rows * K).ToArray()).Build();
        var list = new FixedSizeListArray(schema.FieldsList[1].DataType, rows, values, ArrowBuffer.Empty, 0, 0);
        writer.WriteRecordBatch(new RecordBatch(schema, [labels, list], rows));
    }

    writer.WriteEnd();
}

WriteNpy(Path.Combine(dir, "preds.npy"), "<f4", $"({n}, {K})", System.Runtime.InteropServices.MemoryMarshal.AsBytes(z.AsSpan()));
WriteNpy(Path.Combine(dir, "labels.npy"), "<i8", $"({n},)", System.Runtime.InteropServices.MemoryMarshal.AsBytes(y.AsSpan()));
Console.WriteLine($"{n} rows x {K} classes written to {dir}");

static void WriteNpy(string path, string descr, string shape, ReadOnlySpan<byte> data)
{
    string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
    int total = 10 + header.Length + 1;
    header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
    using var f = File.Create(path);
    f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
    f.Write([1, 0]);
    f.Write(BitConverter.GetBytes((ushort)header.Length));
    f.Write(Encoding.ASCII.GetBytes(header));
    f.Write(data);
}
