using System.Globalization;

namespace ClassLoss;

/// <summary>
/// A parsed <c>name[:key=value,...]</c> specification (losses, optimisers, schedules). Keys are case-insensitive;
/// a list value separates its items with <c>;</c> or <c>/</c> (e.g. <c>weights=1;2;3</c>).
/// </summary>
public sealed class Spec
{
    private readonly Dictionary<string, string> _options;
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    private Spec(string text, string name, Dictionary<string, string> options)
    {
        Text = text;
        Name = name;
        _options = options;
    }

    /// <summary>The original text.</summary>
    public string Text { get; }

    /// <summary>The lower-case name before the colon.</summary>
    public string Name { get; }

    /// <summary>Parses <paramref name="text"/>; <paramref name="what"/> (e.g. "loss") appears in error messages.</summary>
    public static Spec Parse(string text, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException($"empty {what} specification.");
        }

        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string name = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (colon >= 0)
        {
            foreach (var part in text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new ArgumentException($"{what} '{text}': option '{part}' is not key=value.");
                }

                options[part[..eq].Trim()] = part[(eq + 1)..].Trim();
            }
        }

        return new Spec(text, name, options);
    }

    /// <summary>True when the option was given.</summary>
    public bool Has(string key) => _options.ContainsKey(key);

    /// <summary>The raw option value, or null.</summary>
    public string? Get(string key)
    {
        _used.Add(key);
        return _options.TryGetValue(key, out var v) ? v : null;
    }

    /// <summary>A numeric option, or <paramref name="fallback"/> when absent.</summary>
    public double Double(string key, double fallback)
    {
        string? v = Get(key);
        if (v is null)
        {
            return fallback;
        }

        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
            ? d
            : throw new ArgumentException($"'{Text}': option {key}='{v}' is not a finite number.");
    }

    /// <summary>An integer option, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string key, int fallback)
    {
        string? v = Get(key);
        if (v is null)
        {
            return fallback;
        }

        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)
            ? i
            : throw new ArgumentException($"'{Text}': option {key}='{v}' is not an integer.");
    }

    /// <summary>A boolean option (true/false/1/0), or <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string key, bool fallback)
    {
        string? v = Get(key);
        return v is null ? fallback : v.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new ArgumentException($"'{Text}': option {key}='{v}' is not true or false."),
        };
    }

    /// <summary>Rejects any option not in <paramref name="valid"/>, listing the valid ones.</summary>
    public void Only(params string[] valid)
    {
        foreach (var key in _options.Keys)
        {
            if (Array.FindIndex(valid, v => string.Equals(v, key, StringComparison.OrdinalIgnoreCase)) < 0)
            {
                string list = valid.Length == 0 ? "none" : string.Join(", ", valid);
                throw new ArgumentException($"'{Text}': unknown option '{key}' for {Name}; valid options: {list}.");
            }
        }
    }
}
