using System.Security.Cryptography;
using ClassLoss.Training.Models;
using ClassLoss.Training.Optimizers;

namespace ClassLoss.Training;

/// <summary>
/// The versioned binary model file: magic <c>CLSMODEL</c>, format version, the network shape, the run settings,
/// the parameters, the optimiser state and the metrics so far, so that a run resumes bit-for-bit.
/// </summary>
/// <remarks>Little-endian (BinaryWriter). Version 2 layout, in order: magic (8 bytes), int32 version, int32 D,
/// int32 K, int32 activation, int32 H then H widths, strings loss / optimizer / schedule / data, int32 batch size,
/// int32 total epochs, int32 seed, double validation fraction, double imbalance ratio, int32 completed epochs, int32 P
/// then P floats, the optimiser state, int32 E then E metric rows (int32 epoch, 8 doubles); last, the SHA-256 of
/// everything before it (32 bytes). <see cref="Load"/> verifies the hash before it reads a field, so a truncated file
/// or one with a flipped bit is refused, never loaded as a wrong model, and checks every size it reads against the bytes
/// the file has left before it allocates anything for it. Version 1 (no hash) is refused.</remarks>
public sealed class Checkpoint
{
    /// <summary>The magic bytes at the start of every model file.</summary>
    public static ReadOnlySpan<byte> Magic => "CLSMODEL"u8;

    /// <summary>The format version this code writes and reads.</summary>
    public const int Version = 2;

    /// <summary>The length of the SHA-256 that ends the file.</summary>
    private const int HashLength = 32;

    /// <summary>The file name used inside an output directory.</summary>
    public const string FileName = "model.clsm";

    /// <summary>The run settings saved with the model.</summary>
    public required TrainSettings Settings { get; init; }

    /// <summary>The network with its parameters.</summary>
    public required Mlp Model { get; init; }

    /// <summary>The optimiser with its state.</summary>
    public required IOptimizer Optimizer { get; init; }

    /// <summary>Epochs completed.</summary>
    public required int CompletedEpochs { get; init; }

    /// <summary>Metrics of the completed epochs.</summary>
    public required IReadOnlyList<EpochMetrics> History { get; init; }

    /// <summary>Writes the checkpoint atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        string tmp = path + ".tmp";
        using (var file = File.Create(tmp))
        using (var payload = new MemoryStream())
        using (var w = new BinaryWriter(payload))
        {
            w.Write(Magic);
            w.Write(Version);
            foreach (int v in (int[])[Model.Inputs, Model.Outputs, (int)Model.Activation, Model.Hidden.Length, .. Model.Hidden])
            {
                w.Write(v);
            }

            Settings.Write(w);
            w.Write(CompletedEpochs);
            w.Write(Model.Parameters.Length);
            foreach (float p in Model.Parameters)
            {
                w.Write(p);
            }

            Optimizer.Save(w);
            w.Write(History.Count);
            foreach (var m in History)
            {
                m.Write(w);
            }

            w.Flush();
            var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
            file.Write(bytes);
            file.Write(SHA256.HashData(bytes));
        }

        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a checkpoint; a malformed file raises <see cref="InvalidDataException"/> naming it.</summary>
    public static Checkpoint Load(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < Magic.Length || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path}: not a ClassLoss model file (bad magic).");
        }

        if (file.Length < Magic.Length + 4 + HashLength)
        {
            throw new InvalidDataException($"{path}: truncated model file ({file.Length} bytes).");
        }

        int version = BitConverter.ToInt32(file, Magic.Length);
        if (version != Version)
        {
            throw new InvalidDataException($"{path}: model file version {version} is not supported (this build reads {Version}).");
        }

        var body = file.AsSpan(0, file.Length - HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(file.AsSpan(body.Length)))
        {
            throw new InvalidDataException($"{path}: the model file's checksum does not match its contents (truncated or corrupt); refusing to load it.");
        }

        try
        {
            using var r = new BinaryReader(new MemoryStream(file, 0, body.Length, writable: false));
            r.ReadBytes(Magic.Length + 4);

            int d = r.ReadInt32();
            int k = r.ReadInt32();
            var act = (Activation)r.ReadInt32();
            int h = r.ReadInt32();
            if (d < 1 || k < 1 || h < 0 || h > 64 || !Enum.IsDefined(act))
            {
                throw new InvalidDataException($"{path}: corrupt model header.");
            }

            var hidden = new int[h];
            for (int i = 0; i < h; i++)
            {
                hidden[i] = r.ReadInt32();
            }

            var settings = TrainSettings.Read(r);
            int completed = r.ReadInt32();
            long left = r.BaseStream.Length - r.BaseStream.Position;
            long needed = ParameterCount(d, hidden, k);
            if (needed < 0 || needed * sizeof(float) > left)
            {
                throw new InvalidDataException($"{path}: corrupt model header (a network of {d} inputs, [{string.Join(", ", hidden)}] hidden and {k} outputs needs more parameters than the file holds).");
            }

            var model = new Mlp(d, hidden, k, act, settings.Seed);
            int p = r.ReadInt32();
            if (p != model.Parameters.Length)
            {
                throw new InvalidDataException($"{path}: {p} parameters stored; the network needs {model.Parameters.Length}.");
            }

            for (int i = 0; i < p; i++)
            {
                model.Parameters[i] = r.ReadSingle();
            }

            var optimizer = OptimizerFactory.Create(settings.Optimizer, p);
            optimizer.Load(r);
            int e = r.ReadInt32();
            if (e < 0 || e > r.BaseStream.Length - r.BaseStream.Position)
            {
                throw new InvalidDataException($"{path}: corrupt model file ({e} metric rows).");
            }

            var history = new List<EpochMetrics>(e);
            for (int i = 0; i < e; i++)
            {
                history.Add(EpochMetrics.Read(r));
            }

            return new Checkpoint { Settings = settings, Model = model, Optimizer = optimizer, CompletedEpochs = completed, History = history };
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{path}: truncated model file.", ex);
        }
    }

    /// <summary>The parameter count of an MLP of these layer widths (weights and biases), or -1 for a width below 1 or
    /// a count beyond int's range.</summary>
    private static long ParameterCount(int inputs, int[] hidden, int outputs)
    {
        long count = 0;
        int previous = inputs;
        foreach (int width in (int[])[.. hidden, outputs])
        {
            if (previous < 1 || width < 1)
            {
                return -1;
            }

            count += ((long)previous * width) + width;
            if (count > int.MaxValue)
            {
                return -1;
            }

            previous = width;
        }

        return count;
    }
}

/// <summary>The settings of a training run, as saved in a checkpoint.</summary>
public sealed record TrainSettings
{
    /// <summary>Loss specification.</summary>
    public string Loss { get; init; } = "ce";

    /// <summary>Optimiser specification.</summary>
    public string Optimizer { get; init; } = "sgd:lr=0.1";

    /// <summary>Learning-rate schedule specification.</summary>
    public string Schedule { get; init; } = "constant";

    /// <summary>Data source (default, fashion-mnist or a CSV path).</summary>
    public string Data { get; init; } = "default";

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Total epochs.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Seed of initialisation and shuffling.</summary>
    public int Seed { get; init; }

    /// <summary>Fraction of the training data held out for validation (how the data were split).</summary>
    public double Validation { get; init; }

    /// <summary>Imbalance ratio of the long-tailed training subset (1 = the data as is).</summary>
    public double Imbalance { get; init; } = 1;

    /// <summary>Writes the settings in the checkpoint's order: four strings, three int32, two doubles.</summary>
    internal void Write(BinaryWriter w)
    {
        foreach (string s in (string[])[Loss, Optimizer, Schedule, Data])
        {
            w.Write(s);
        }

        foreach (int i in (int[])[BatchSize, Epochs, Seed])
        {
            w.Write(i);
        }

        w.Write(Validation);
        w.Write(Imbalance);
    }

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    internal static TrainSettings Read(BinaryReader r) => new()
    {
        Loss = r.ReadString(),
        Optimizer = r.ReadString(),
        Schedule = r.ReadString(),
        Data = r.ReadString(),
        BatchSize = r.ReadInt32(),
        Epochs = r.ReadInt32(),
        Seed = r.ReadInt32(),
        Validation = r.ReadDouble(),
        Imbalance = r.ReadDouble(),
    };
}
