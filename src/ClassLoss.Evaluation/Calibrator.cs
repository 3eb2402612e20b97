using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ClassLoss.Activations;
using ClassLoss.Numerics;

namespace ClassLoss.Evaluation;

/// <summary>A fitted calibration map, saved and loaded as JSON.</summary>
public sealed record Calibrator
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters =
        {
            new JsonStringEnumConverter<CalibrationMethod>(JsonNamingPolicy.SnakeCaseLower),
            new JsonStringEnumConverter<PredictionValues>(JsonNamingPolicy.SnakeCaseLower),
        },
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

    /// <summary>Dirichlet calibration: the K × K matrix W, as K rows (row c gives class c's scaled logit).</summary>
    public IReadOnlyList<IReadOnlyList<double>>? Matrix { get; init; }

    /// <summary>Dirichlet calibration: ODIR's off-diagonal weight λ the fit used.</summary>
    public double? OdirLambda { get; init; }

    /// <summary>Dirichlet calibration: ODIR's intercept weight μ the fit used.</summary>
    public double? OdirMu { get; init; }

    /// <summary>Per-class biases b (vector scaling, Dirichlet calibration).</summary>
    public IReadOnlyList<double>? Biases { get; init; }

    /// <summary>Platt slope a; beta calibration's a (the weight of ln p).</summary>
    public double? A { get; init; }

    /// <summary>Platt intercept b; beta calibration's b (the weight of -ln(1 - p)).</summary>
    public double? B { get; init; }

    /// <summary>Beta calibration's intercept c.</summary>
    public double? C { get; init; }

    /// <summary>
    /// Isotonic and histogram binning: the space of the score each class's map reads, probabilities (softmax of the
    /// row; p_1 for two classes) or logits (the class's logit; z_1 - z_0 for two classes).
    /// </summary>
    public PredictionValues? Input { get; init; }

    /// <summary>Isotonic: per map (one for two classes, else one per class), the sorted unique fitted scores.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? Knots { get; init; }

    /// <summary>Isotonic: the fitted value at each knot (non-decreasing). Histogram binning: the value of each equal-width bin.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? KnotValues { get; init; }

    /// <summary>What the fit could not do well: a search bound reached, too few rows, a class absent, no convergence. Null when none.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }

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
            case CalibrationMethod.Dirichlet:
                var m = Matrix ?? throw new InvalidDataException("The calibrator has no matrix.");
                var bias = Biases ?? throw new InvalidDataException("The calibrator has no biases.");
                Span<double> lq = k <= 64 ? stackalloc double[k] : new double[k];
                LogSoftmax.Forward(logits, k, lq);
                for (int c = 0; c < k; c++)
                {
                    double s = bias[c];
                    for (int j = 0; j < k; j++)
                    {
                        s += m[c][j] * lq[j];
                    }

                    probabilities[c] = s;
                }

                break;
            case CalibrationMethod.Isotonic:
            case CalibrationMethod.Histogram:
                ApplyOneVsRest(logits, probabilities);
                return;
            case CalibrationMethod.Beta:
                double mu = BetaCalibration.Map(A ?? 1, B ?? 1, C ?? 0, logits[1] - logits[0]);
                probabilities[0] = 1 - mu;
                probabilities[1] = mu;
                return;
            default:
                double p = StableMath.Sigmoid((A ?? 1) * (logits[1] - logits[0]) + (B ?? 0));
                probabilities[0] = 1 - p;
                probabilities[1] = p;
                return;
        }

        Metrics.ToProbabilities(PredictionValues.Logits, probabilities, probabilities, renormalize: false);
    }

    private void ApplyOneVsRest(ReadOnlySpan<double> logits, Span<double> probabilities)
    {
        var values = KnotValues ?? throw new InvalidDataException("The calibrator has no knot values.");
        int k = logits.Length;
        Span<double> q = k <= 64 ? stackalloc double[k] : new double[k];
        OneVsRest.Score(logits, Input ?? PredictionValues.Probabilities, q);
        int curves = k == 2 ? 1 : k;
        for (int j = 0; j < curves; j++)
        {
            q[j] = Method == CalibrationMethod.Isotonic
                ? IsotonicCalibration.Interpolate(q[j], Knots![j], values[j])
                : values[j][HistogramBinning.Bin(q[j], values[j].Count)];
        }

        OneVsRest.Normalise(q, probabilities);
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

        int curves = c.ClassNames.Count == 2 ? 1 : c.ClassNames.Count;
        bool ok = c.ClassNames.Count >= 2 && c.Method switch
        {
            CalibrationMethod.Temperature => c.Temperature is > 0 && double.IsFinite(c.Temperature.Value),
            CalibrationMethod.Vector => c.Weights?.Count == c.ClassNames.Count && c.Biases?.Count == c.ClassNames.Count,
            CalibrationMethod.Isotonic => c.Knots?.Count == curves && c.KnotValues?.Count == curves
                && Enumerable.Range(0, curves).All(j => c.Knots[j].Count > 0 && c.Knots[j].Count == c.KnotValues[j].Count && Sorted(c.Knots[j]) && Sorted(c.KnotValues[j])),
            CalibrationMethod.Histogram => c.KnotValues?.Count == curves && c.KnotValues.All(v => v.Count > 0 && v.All(x => x >= 0 && x <= 1)),
            CalibrationMethod.Dirichlet => c.Matrix?.Count == c.ClassNames.Count && c.Matrix.All(r => r.Count == c.ClassNames.Count && r.All(double.IsFinite))
                && c.Biases?.Count == c.ClassNames.Count && c.Biases.All(double.IsFinite),
            CalibrationMethod.Beta => c.A is >= 0 && c.B is >= 0 && c.C is not null && c.ClassNames.Count == 2,
            _ => c.A is not null && c.B is not null && c.ClassNames.Count == 2,
        };
        return ok ? c : throw new InvalidDataException($"The calibrator JSON lacks the parameters of method '{c.Method}'.");
    }

    private static bool Sorted(IReadOnlyList<double> v)
    {
        for (int i = 0; i < v.Count; i++)
        {
            if (!double.IsFinite(v[i]) || (i > 0 && v[i] < v[i - 1]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the JSON to a file.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>Reads a calibrator from a JSON file.</summary>
    public static Calibrator Load(string path) => FromJson(File.ReadAllText(path));
}

/// <summary>The source-generated JSON metadata of <see cref="Calibrator"/>.</summary>
[JsonSerializable(typeof(Calibrator))]
internal sealed partial class CalibratorJsonContext : JsonSerializerContext;
