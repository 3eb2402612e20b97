// Reads a prediction CSV once with ClassLoss.Evaluation's PredictionReader and prints rows, seconds, MB/s and a
// checksum of the values (so the two builds can be seen to read the same numbers). No metrics: the read alone.
using System.Diagnostics;
using System.Globalization;
using ClassLoss.Evaluation;

string path = args[0];
var watch = Stopwatch.StartNew();
using var reader = PredictionReader.Open(path, new PredictionReaderOptions { Values = PredictionValues.Logits });
var row = new double[reader.Classes];
long rows = 0;
double checksum = 0;
while (reader.Read(out int label, row))
{
    rows++;
    checksum += label + row[0] + row[^1];
}

double seconds = watch.Elapsed.TotalSeconds;
double cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
double mb = new FileInfo(path).Length / 1e6;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{rows} rows in {seconds:F3} s wall ({cpu:F2} s CPU): {rows / seconds:N0} rows/s, {mb / seconds:F0} MB/s (checksum {checksum:R})"));
