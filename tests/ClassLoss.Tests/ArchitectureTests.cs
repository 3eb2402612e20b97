using System.Reflection;
using System.Text.RegularExpressions;
using ClassLoss.Losses;

namespace ClassLoss.Tests;

/// <summary>
/// The layering of docs/architecture.md, checked on the source and on the compiled types: Numerics (vector math, row
/// passes, the scheduler) depends on nothing of Losses, and the kernels in Losses/Kernels never call back up into the
/// public loss classes.
/// </summary>
public class ArchitectureTests
{
    private static readonly Assembly Core = typeof(SoftmaxCrossEntropy).Assembly;

    /// <summary>The repository root (the folder holding ClassLoss.slnx), found from the test assembly's folder.</summary>
    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClassLoss.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("ClassLoss.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The non-comment lines of every C# file under <paramref name="relative"/>, with their file and line number.</summary>
    private static IEnumerable<(string File, int Line, string Text)> CodeLines(string relative)
    {
        foreach (string file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), relative), "*.cs", SearchOption.AllDirectories))
        {
            int number = 0;
            foreach (string line in File.ReadLines(file))
            {
                number++;
                string trimmed = line.TrimStart();
                if (!trimmed.StartsWith("//", StringComparison.Ordinal))
                {
                    yield return (Path.GetRelativePath(RepositoryRoot(), file), number, line);
                }
            }
        }
    }

    [Fact]
    public void Numerics_SourceNamesNothingOfLosses()
    {
        var offending = CodeLines("src/ClassLoss/Numerics")
            .Where(l => l.Text.Contains("ClassLoss.Losses", StringComparison.Ordinal))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offending.Count == 0, "Numerics must not depend on Losses:\n" + string.Join('\n', offending));
    }

    [Fact]
    public void Numerics_TypesExposeNoLossesType()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var offending = new List<string>();
        foreach (var type in Core.GetTypes().Where(t => t.Namespace == "ClassLoss.Numerics"))
        {
            IEnumerable<Type> used = type.GetFields(all).Select(f => f.FieldType)
                .Concat(type.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)))
                .Concat(type.GetInterfaces())
                .Concat(type.BaseType is null ? [] : [type.BaseType]);
            foreach (var t in used)
            {
                var element = t.HasElementType ? t.GetElementType()! : t;
                if (element.Namespace?.StartsWith("ClassLoss.Losses", StringComparison.Ordinal) == true)
                {
                    offending.Add($"{type.FullName} uses {element.FullName}");
                }
            }
        }

        Assert.True(offending.Count == 0, string.Join('\n', offending));
    }

    [Fact]
    public void Kernels_NeverCallThePublicLossClasses()
    {
        // The public entry points (static classes of ClassLoss.Losses with an Evaluate-like method).
        var publicLosses = Core.GetTypes()
            .Where(t => t.Namespace == "ClassLoss.Losses" && t.IsPublic && t.IsAbstract && t.IsSealed)
            .Select(t => t.Name)
            .ToList();
        Assert.Contains("SoftmaxCrossEntropy", publicLosses);
        var call = new Regex(@"\b(" + string.Join('|', publicLosses) + @")\.[A-Z]", RegexOptions.CultureInvariant);
        var offending = CodeLines("src/ClassLoss/Losses/Kernels")
            .Where(l => call.IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offending.Count == 0, "kernels must call downward only:\n" + string.Join('\n', offending));
    }
}
