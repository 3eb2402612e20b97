using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// One golden file written by <c>generate_golden.py</c> (PyTorch, float64): the function, the torch version and
/// its cases. Files are copied to the test output directory (under <c>Oracle/golden/</c>).
/// </summary>
internal sealed class GoldenFile
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new LenientDoubleConverter() },
    };

    private static readonly Dictionary<string, GoldenFile> s_cache = [];

    public string Function { get; init; } = "";

    public string TorchVersion { get; init; } = "";

    public string? Note { get; init; }

    public List<GoldenCase> Cases { get; init; } = [];

    /// <summary>Loads (once per test run) <c>golden/{function}.json</c> next to the test assembly.</summary>
    public static GoldenFile Load(string function)
    {
        lock (s_cache)
        {
            if (!s_cache.TryGetValue(function, out var file))
            {
                // The csproj's LinkBase="golden" does not apply to files inside the project folder, so MSBuild
                // copies them to Oracle/golden/; accept either location.
                string path = Path.Combine(AppContext.BaseDirectory, "golden", function + ".json");
                if (!File.Exists(path))
                {
                    path = Path.Combine(AppContext.BaseDirectory, "Oracle", "golden", function + ".json");
                }

                using var stream = File.OpenRead(path);
                file = JsonSerializer.Deserialize<GoldenFile>(stream, s_options)
                    ?? throw new InvalidDataException($"{path} is empty.");
                s_cache[function] = file;
            }

            return file;
        }
    }

    /// <summary>The case with the given name (case names are unique within a file).</summary>
    public GoldenCase this[string name] => Cases.Find(c => c.Name == name)
        ?? throw new KeyNotFoundException($"{Function}: no case named {name}.");

    /// <summary>Every case name, for an xunit <c>MemberData</c> source.</summary>
    public static TheoryData<string> CaseNames(string function)
    {
        var data = new TheoryData<string>();
        foreach (var c in Load(function).Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }
}

/// <summary>One case: inputs, options as written by the generator, and torch's loss, unreduced losses and gradient.</summary>
internal sealed class GoldenCase
{
    public string Name { get; init; } = "";

    public Dictionary<string, JsonElement> Options { get; init; } = [];

    public int[] Shape { get; init; } = [];

    public double[] Input { get; init; } = [];

    public int[]? Labels { get; init; }

    public double[]? Target { get; init; }

    public double[]? Upstream { get; init; }

    /// <summary>Gaussian NLL's variance (N·K or N values), or null.</summary>
    public double[]? Variance { get; init; }

    /// <summary>Torch's gradient with respect to <see cref="Variance"/>, or null.</summary>
    public double[]? VarianceGrad { get; init; }

    public double[]? Output { get; init; }

    public double Loss { get; init; } = double.NaN;

    public double[]? RowLosses { get; init; }

    public int[]? RowLossesShape { get; init; }

    public double[] Grad { get; init; } = [];

    public string? Note { get; init; }

    /// <summary>Torch's own value where the golden deliberately uses another convention (a number or a list).</summary>
    public JsonElement? TorchNativeLoss { get; init; }

    public int Rows => Shape[0];

    public int Classes => Shape.Length > 1 ? Shape[1] : 1;

    public string String(string key) => Options[key].GetString() ?? "";

    public double Double(string key) => Options[key].GetDouble();

    public int Int(string key) => Options[key].GetInt32();

    public bool Bool(string key) => Options[key].GetBoolean();

    /// <summary>A list-valued option (such as class weights), or null when it is absent or JSON null.</summary>
    public double[]? Doubles(string key)
    {
        if (!Options.TryGetValue(key, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var values = new double[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray())
        {
            values[i++] = LenientDoubleConverter.Parse(v);
        }

        return values;
    }

    public override string ToString() => Name;
}

/// <summary>Reads doubles written as JSON numbers or as the strings "inf", "-inf" and "nan".</summary>
internal sealed class LenientDoubleConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => reader.GetDouble(),
            JsonTokenType.String => ParseString(reader.GetString()),
            _ => throw new JsonException($"Expected a number or \"inf\"/\"-inf\"/\"nan\", got {reader.TokenType}."),
        };

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) =>
        throw new NotSupportedException("Golden files are written by generate_golden.py only.");

    public static double Parse(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? ParseString(e.GetString()) : e.GetDouble();

    private static double ParseString(string? s) => s switch
    {
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        "nan" => double.NaN,
        _ => double.Parse(s ?? "", NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
