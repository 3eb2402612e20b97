using System.Text.Encodings.Web;
using System.Text.Json;
using Markdig;

namespace ClassLoss.Cli.Experiments;

/// <summary>
/// The experiments' report as one self-contained HTML page (<c>report.html</c> beside report.md): the Markdown rendered
/// with Markdig (pipe tables), every plot embedded as a data URI, and an interactive explorer of every catalogue loss
/// (value and gradient against the target's probability, sliders for the loss's options and a temperature) drawn from
/// values the core kernels computed when the report was written. No network, no external script.
/// </summary>
internal static class HtmlReport
{
    /// <summary>The file name beside report.md.</summary>
    public const string FileName = "report.html";

    // The x grid: the target's probability p of K = 3 classes, the other two sharing 1 - p.
    private const int Points = 25;

    /// <summary>The example's class counts for the losses whose weights come from them: the target class (0) is the rare one.</summary>

    private static readonly int[] ExampleClassCounts = [100, 1000, 10000];


    private static readonly double[] Temperatures = [0.5, 1, 2, 4];

    // The values each option's slider steps through (the loss's default is added when missing); options not listed
    // (weights, beta, ...) stay at their defaults.
    private static readonly Dictionary<string, string[]> Grids = new(StringComparer.Ordinal)
    {
        ["gamma"] = ["0", "0.5", "1", "2", "3", "5"],
        ["alpha"] = ["0.1", "0.25", "0.5", "0.75", "1"],
        ["clip"] = ["0", "0.05", "0.1", "0.2"],
        ["epsilon"] = ["-1", "0", "1", "2"],
        ["gamma-neg"] = ["0", "1", "2", "4"],
        ["gamma-pos"] = ["0", "1", "2"],
        ["margin"] = ["0.5", "1", "2"],
        ["p"] = ["1", "2"],
        ["regularizer"] = ["softmax", "sparsemax", "entmax15"],
        ["smoothing"] = ["0", "0.05", "0.1", "0.2", "0.3"],
        ["temperature"] = ["0.5", "1", "2"],
        ["var"] = ["0.5", "1", "2"],
        ["z"] = ["0", "1e-4", "1e-2", "0.1"],
    };

    /// <summary>Writes <c>report.html</c> into <paramref name="outDir"/> from the report's Markdown and the plots it names;
    /// returns its path.</summary>
    public static string Write(string outDir, string markdown)
    {
        var pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseAutoIdentifiers().UseEmphasisExtras().Build();
        string body = Markdown.ToHtml(markdown, pipeline);
        // Embed every plot the Markdown links (src="name.png") as a data URI.
        foreach (var png in Directory.GetFiles(outDir, "*.png"))
        {
            string name = Path.GetFileName(png);
            body = body.Replace($"src=\"{name}\"", $"src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(png))}\"", StringComparison.Ordinal);
        }

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>ClassLoss experiments</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n");
        html.Append(body);
        html.Append("<section id=\"explorer\">\n<h2>Explorer: every catalogue loss, its value and gradient</h2>\n");
        html.Append("<p>K = 3 classes, target class 0 (one-hot (1, 0, 0)); the x axis is the target's probability p, the other two classes share 1 − p. ")
            .Append("The temperature reshapes those probabilities, q = softmax(log p / T), before the loss. Losses that read logits see log q. ")
            .Append("The losses whose class weights come from the training data's class counts (weighted-ce, cb-ce) take the counts 100, 1,000 and 10,000: the target class is the rare one. ")
            .Append("Every point was computed by the ClassLoss kernels (<code>LossEntry.EvaluateExample</code>, double) when this page was written.</p>\n");
        html.Append("<div class=\"controls\"><label>loss <select id=\"loss\"></select></label> <span id=\"options\"></span> <label>temperature T <input type=\"range\" id=\"temperature\" min=\"0\" max=\"").Append(Temperatures.Length - 1).Append("\" step=\"1\" value=\"1\"> <output id=\"temperature-value\"></output></label></div>\n");
        html.Append("<p id=\"convention\"></p>\n<div class=\"plots\"><canvas id=\"value\" width=\"520\" height=\"320\"></canvas><canvas id=\"gradient\" width=\"520\" height=\"320\"></canvas></div>\n<p id=\"explorer-status\"></p>\n</section>\n");
        html.Append("</main>\n<script id=\"explorer-data\" type=\"application/json\">").Append(ExplorerJson()).Append("</script>\n<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        string path = Path.Combine(outDir, FileName);
        File.WriteAllText(path, html.ToString());
        return path;
    }

    /// <summary>The explorer's data: for every catalogue loss the kernels can evaluate on one example, its option grids
    /// (the first two options with a grid) and, for every combination and temperature, the value and ∂/∂input₀ on the x grid.</summary>
    internal static string ExplorerJson()
    {
        double[] xs = [.. Enumerable.Range(0, Points).Select(i => 0.02 + (0.96 * i / (Points - 1)))];
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
        {
            json.WriteStartObject();
            json.WriteStartArray("x");
            foreach (double x in xs)
            {
                json.WriteNumberValue(Math.Round(x, 4));
            }

            json.WriteEndArray();
            json.WriteStartArray("temperatures");
            foreach (double t in Temperatures)
            {
                json.WriteNumberValue(t);
            }

            json.WriteEndArray();
            json.WriteStartArray("losses");
            foreach (var entry in LossCatalog.Entries)
            {
                WriteLoss(json, entry, xs);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        // Inside <script type="application/json">: no "</" may appear (the encoder escapes < anyway).
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteLoss(Utf8JsonWriter json, LossEntry entry, double[] xs)
    {
        var keys = entry.Options.Where(o => Grids.ContainsKey(o.Key)).Take(2)
            .Select(o => (o.Key, Values: Grids[o.Key].Contains(o.Default) ? Grids[o.Key] : [o.Default, .. Grids[o.Key]], o.Default, o.Description)).ToArray();
        var combos = new List<string[]> { Array.Empty<string>() };
        foreach (var key in keys)
        {
            combos = [.. combos.SelectMany(c => key.Values.Select(v => (string[])[.. c, v]))];
        }

        // curves[combo][temperature] = (values, gradients); a loss the kernels cannot evaluate on this example is left out.
        var curves = new List<(double[] Values, double[] Gradients)[]>();
        foreach (var combo in combos)
        {
            string spec = entry.Name + (keys.Length == 0 ? string.Empty : ":" + string.Join(",", keys.Select((k, i) => $"{k.Key}={combo[i]}")));
            var perTemperature = new (double[], double[])[Temperatures.Length];
            for (int t = 0; t < Temperatures.Length; t++)
            {
                var values = new double[xs.Length];
                var gradients = new double[xs.Length];
                for (int i = 0; i < xs.Length; i++)
                {
                    var q = Tempered(xs[i], Temperatures[t]);
                    var example = new LossExample(q, fromProbabilities: true, [1, 0, 0], 3) { ClassCounts = ExampleClassCounts };
                    var g = new double[3];
                    LossResult? r;
                    try
                    {
                        r = entry.EvaluateExample(example, g, spec);
                    }
                    catch (ArgumentException)
                    {
                        r = null;
                    }

                    if (r is null)
                    {
                        return;
                    }

                    values[i] = r.Value.Value;
                    gradients[i] = g[0];
                }

                perTemperature[t] = (values, gradients);
            }

            curves.Add(perTemperature);
        }

        json.WriteStartObject();
        json.WriteString("name", entry.Name);
        json.WriteString("title", entry.Title);
        json.WriteString("input", entry.Input == LossInput.Probabilities ? "p₀" : "z₀ = log q₀");
        json.WriteString("convention", entry.Convention);
        json.WriteStartArray("options");
        foreach (var key in keys)
        {
            json.WriteStartObject();
            json.WriteString("key", key.Key);
            json.WriteString("description", key.Description);
            json.WriteNumber("default", Array.IndexOf(key.Values, key.Default));
            json.WriteStartArray("values");
            foreach (var v in key.Values)
            {
                json.WriteStringValue(v);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("curves");
        foreach (var perTemperature in curves)
        {
            json.WriteStartArray();
            foreach (var (values, gradients) in perTemperature)
            {
                json.WriteStartObject();
                WriteNumbers(json, "value", values);
                WriteNumbers(json, "gradient", gradients);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteNumbers(Utf8JsonWriter json, string name, double[] values)
    {
        json.WriteStartArray(name);
        foreach (double v in values)
        {
            // JSON has no infinities: a non-finite point is null (drawn as a gap).
            if (double.IsFinite(v))
            {
                json.WriteNumberValue(double.Parse(v.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
            }
            else
            {
                json.WriteNullValue();
            }
        }

        json.WriteEndArray();
    }

    private static double[] Tempered(double p, double temperature)
    {
        double rest = (1 - p) / 2;
        double[] logits = [Math.Log(p) / temperature, Math.Log(rest) / temperature, Math.Log(rest) / temperature];
        var q = new double[3];
        ClassLoss.Activations.Softmax.Forward<double>(logits, 3, q);
        return q;
    }

    private const string Css = """
        body { font-family: system-ui, sans-serif; margin: 0; background: #fafafa; color: #222; }
        main { max-width: 1100px; margin: 0 auto; padding: 1rem 2rem 4rem; background: #fff; }
        table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; display: block; overflow-x: auto; }
        th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; white-space: nowrap; }
        th:first-child, td:first-child { text-align: left; }
        th { background: #f0f0f0; }
        img { max-width: 100%; }
        code { background: #f3f3f3; padding: 0 0.2rem; }
        .controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: 0.5rem 0; }
        .plots canvas { border: 1px solid #ddd; margin: 0.25rem; background: #fff; }

        """;

    private const string Script = """
        (function () {
          'use strict';
          var errors = [];
          window.addEventListener('error', function (e) { errors.push(String(e.message)); document.body.dataset.errors = errors.join(' | '); });
          var data = JSON.parse(document.getElementById('explorer-data').textContent);
          var select = document.getElementById('loss');
          var optionsBox = document.getElementById('options');
          var temperature = document.getElementById('temperature');
          var sliders = [];
          data.losses.forEach(function (loss, i) {
            var o = document.createElement('option');
            o.value = String(i);
            o.textContent = loss.name + ' (' + loss.title + ')';
            select.appendChild(o);
          });

          function buildOptions() {
            var loss = data.losses[Number(select.value)];
            optionsBox.textContent = '';
            sliders = loss.options.map(function (opt) {
              var label = document.createElement('label');
              label.title = opt.description;
              label.appendChild(document.createTextNode(opt.key + ' '));
              var input = document.createElement('input');
              input.type = 'range'; input.min = '0'; input.max = String(opt.values.length - 1); input.step = '1'; input.value = String(opt['default']);
              var out = document.createElement('output');
              input.addEventListener('input', draw);
              label.appendChild(input); label.appendChild(document.createTextNode(' ')); label.appendChild(out);
              optionsBox.appendChild(label);
              return { input: input, output: out, option: opt };
            });
            draw();
          }

          function plot(canvas, xs, ys, title, xLabel) {
            var ctx = canvas.getContext('2d');
            var w = canvas.width, h = canvas.height, left = 60, right = 10, top = 24, bottom = 36;
            ctx.clearRect(0, 0, w, h);
            var finite = ys.filter(function (y) { return y !== null && isFinite(y); });
            var lo = finite.length ? Math.min.apply(null, finite) : 0, hi = finite.length ? Math.max.apply(null, finite) : 1;
            if (hi - lo < 1e-12) { hi = lo + 1; lo = lo - 1; }
            function px(x) { return left + (w - left - right) * (x - xs[0]) / (xs[xs.length - 1] - xs[0]); }
            function py(y) { return top + (h - top - bottom) * (hi - y) / (hi - lo); }
            ctx.strokeStyle = '#999'; ctx.lineWidth = 1;
            ctx.strokeRect(left, top, w - left - right, h - top - bottom);
            ctx.fillStyle = '#222'; ctx.font = '12px sans-serif';
            ctx.fillText(title, left, 16);
            ctx.fillText(xLabel, w / 2 - 40, h - 6);
            [lo, (lo + hi) / 2, hi].forEach(function (v) { ctx.fillText(v.toPrecision(3), 4, py(v) + 4); });
            [0, 0.5, 1].forEach(function (v) { ctx.fillText(String(v), px(Math.min(Math.max(v, xs[0]), xs[xs.length - 1])) - 6, h - bottom + 14); });
            ctx.strokeStyle = '#1f77b4'; ctx.lineWidth = 2; ctx.beginPath();
            var drawing = false, drawn = 0;
            for (var i = 0; i < xs.length; i++) {
              var y = ys[i];
              if (y === null || !isFinite(y)) { drawing = false; continue; }
              if (drawing) { ctx.lineTo(px(xs[i]), py(y)); } else { ctx.moveTo(px(xs[i]), py(y)); drawing = true; }
              drawn++;
            }
            ctx.stroke();
            return drawn;
          }

          function draw() {
            var loss = data.losses[Number(select.value)];
            var index = 0;
            sliders.forEach(function (s, i) {
              var v = Number(s.input.value);
              s.output.textContent = s.option.values[v];
              var stride = 1;
              for (var j = i + 1; j < sliders.length; j++) { stride *= sliders[j].option.values.length; }
              index += v * stride;
            });
            var t = Number(temperature.value);
            document.getElementById('temperature-value').textContent = String(data.temperatures[t]);
            var curve = loss.curves[index][t];
            document.getElementById('convention').textContent = loss.convention;
            var n = plot(document.getElementById('value'), data.x, curve.value, 'loss value', 'target probability p');
            n += plot(document.getElementById('gradient'), data.x, curve.gradient, 'gradient w.r.t. ' + loss.input, 'target probability p');
            document.getElementById('explorer-status').textContent = 'drawn ' + n + ' points of ' + loss.name + ' (' + data.losses.length + ' losses).';
            document.body.dataset.explorer = loss.name;
          }

          select.addEventListener('change', buildOptions);
          temperature.addEventListener('input', draw);
          buildOptions();
        })();

        """;
}
