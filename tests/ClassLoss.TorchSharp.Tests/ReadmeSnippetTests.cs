namespace ClassLoss.TorchSharp.Tests;

/// <summary>README.md's TorchSharp example is the code in ReadmeSnippet.cs, and it runs and learns.</summary>
[Collection("torch")]
public sealed class ReadmeSnippetTests
{
    [Fact]
    public void TheReadmeExample_IsTheCompiledSnippet_AndItLearns()
    {
        string root = RepositoryRoot();
        string snippet = Snippet(File.ReadAllText(Path.Combine(root, "tests", "ClassLoss.TorchSharp.Tests", "ReadmeSnippet.cs")));
        string readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        Assert.True(readme.Contains("```csharp\n" + snippet + "\n```", StringComparison.Ordinal),
            "README.md's TorchSharp section must hold ReadmeSnippet.cs's snippet verbatim:\n" + snippet);
        double accuracy = ReadmeSnippet.Run();
        Assert.True(accuracy > 0.9, $"training accuracy {accuracy}");
    }

    /// <summary>The text between each "// snippet:begin" and "// snippet:end" line, dedented, regions joined by a blank line.</summary>
    internal static string Snippet(string source)
    {
        var regions = new List<string>();
        List<string>? current = null;
        foreach (string line in source.ReplaceLineEndings("\n").Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed == "// snippet:begin")
            {
                current = [];
            }
            else if (trimmed == "// snippet:end" && current is not null)
            {
                int indent = current.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
                regions.Add(string.Join('\n', current.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())));
                current = null;
            }
            else
            {
                current?.Add(line);
            }
        }

        Assert.NotEmpty(regions);
        return string.Join("\n\n", regions);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && Directory.Exists(Path.Combine(dir.FullName, "tests")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("README.md not found above " + AppContext.BaseDirectory);
    }
}
