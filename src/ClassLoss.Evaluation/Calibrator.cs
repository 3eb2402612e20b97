using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ClassLoss.Numerics;

namespace ClassLoss.Evaluation;

/// <summary>A fitted calibration map, saved and loaded as JSON.</summary>
public sealed record Calibrator
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter<CalibrationMethod>(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = CalibratorJsonContext.Default,
    };

    // Source-generated metadata bound to the options above (no reflection, so the library stays AOT-compatible).
    private static JsonTypeInfo<Calibrator> JsonInfo => (JsonTypeInfo<Calibrator>)JsonOptions.GetTypeInfo(typeof(Calibrator));

    /// <summary>The method.</summary>
    public CalibrationMethod Method { get; init; }

    /// <summary>The class names, in column order.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Temperature T (temperature scaling).</summary>
    public double? Temperature { get; init; }

    /// <summary>Per-class scales w (vector scaling).</summary>
    public IReadOnlyList<double>? Weights { get; init; }

    /// <summary>Per-class biases b (vector scaling).</summary>
    public IReadOnlyList<double>? Biases { get; init; }

    /// <summary>Platt slope a.</summary>
    public double? A { get; init; }

    /// <summary>Platt intercept b.</summary>
    public double? B { get; init; }

    /// <summary>Mean NLL on the fitting set before calibration.</summary>
    public double FitNllBefore { get; init; }

    /// <summary>Mean NLL on the fitting set after calibration.</summary>
    public double FitNllAfter { get; init; }

    /// <summary>Iterations the optimiser used.</summary>
    public int Iterations { get; init; }

    /// <summary>Maps one row of logits to calibrated probabilities.</summary>
    public void Apply(ReadOnlySpan<double> logits, Span<double> probabilities)
    {
        int k = logits.Length;
        if (probabilities.Length != k || k != ClassNames.Count)
        {
            throw new ArgumentException($"The calibrator is for {ClassNames.Count} classes; the row has {k} values.", nameof(logits));
        }

        switch (Method)
        {
            case CalibrationMethod.Temperature:
                double t = Temperature ?? throw new InvalidDataException("The calibrator has no temperature.");
                for (int c = 0; c < k; c++)
                {
                    probabilities[c] = logits[c] / t;
                }

                break;
            case CalibrationMethod.Vector:
                var w = Weights ?? throw new InvalidDataException("The calibrator has no weights.");
                var b = Biases ?? throw new InvalidDataException("The calibrator has no biases.");
                for (int c = 0; c < k; c++)
                {
                    probabilities[c] = w[c] * logits[c] + b[c];
                }

                break;
            default:
                double p = StableMath.Sigmoid((A ?? 1) * (logits[1] - logits[0]) + (B ?? 0));
                probabilities[0] = 1 - p;
                probabilities[1] = p;
                return;
        }

        Metrics.ToProbabilities(PredictionValues.Logits, probabilities, probabilities, renormalize: false);
    }

    /// <summary>The calibrator as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonInfo);

    /// <summary>Reads a calibrator from JSON and checks it.</summary>
    public static Calibrator FromJson(string json)
    {
        Calibrator c;
        try
        {
            c = JsonSerializer.Deserialize(json, JsonInfo) ?? throw new InvalidDataException("The calibrator JSON is null.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Not a calibrator JSON: {ex.Message}", ex);
        }

        bool ok = c.Method switch
        {
            CalibrationMethod.Temperature => c.Temperature is > 0,
            CalibrationMethod.Vector => c.Weights?.Count == c.ClassNames.Count && c.Biases?.Count == c.ClassNames.Count,
            _ => c.A is not null && c.B is not null && c.ClassNames.Count == 2,
        };
        return ok ? c : throw new InvalidDataException($"The calibrator JSON lacks the parameters of method '{c.Method}'.");
    }

    /// <summary>Writes the JSON to a file.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>Reads a calibrator from a JSON file.</summary>
    public static Calibrator Load(string path) => FromJson(File.ReadAllText(path));
}

/// <summary>The source-generated JSON metadata of <see cref="Calibrator"/>.</summary>
[JsonSerializable(typeof(Calibrator))]
internal sealed partial class CalibratorJsonContext : JsonSerializerContext;
