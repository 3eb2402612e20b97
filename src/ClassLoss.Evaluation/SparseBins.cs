using System.Text.Json;

namespace ClassLoss.Evaluation;

/// <summary>The JSON layout the mergeable sketches (<see cref="RankingSketch"/>, <see cref="CalibrationSketch"/>) write
/// their histograms in: an array with one array per series (class), holding one array per non-empty bin that starts with
/// the bin's index and goes on with the sketch's fields for it.</summary>
internal static class SparseBins
{
    /// <summary>Writes <paramref name="series"/> × <paramref name="bins"/> bins (flat index <c>series · bins + bin</c>) as the
    /// array <paramref name="property"/>, skipping those <paramref name="isEmpty"/> says are empty.</summary>
    public static void Write(Utf8JsonWriter w, string property, int series, int bins, Func<int, bool> isEmpty, Action<Utf8JsonWriter, int> fields)
    {
        w.WriteStartArray(property);
        for (int c = 0; c < series; c++)
        {
            w.WriteStartArray();
            for (int b = 0; b < bins; b++)
            {
                int at = (c * bins) + b;
                if (!isEmpty(at))
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(b);
                    fields(w, at);
                    w.WriteEndArray();
                }
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
    }
}
