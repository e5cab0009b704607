using System.Text.RegularExpressions;

namespace EntraProvisioningExporter.Tests;

/// <summary>The repository's documentation, found from the test's output directory.</summary>
public static class Docs
{
    public static string Root { get; } = FindRoot();

    /// <summary>README.md and every page under docs/.</summary>
    public static IReadOnlyList<string> Pages
        => [Path.Combine(Root, "README.md"), .. Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal)];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Exporter.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (Exporter.sln) was not found above the test directory.");
    }
}

/// <summary>
/// Every relative link of the README and docs/ leads to a file that exists and, with a #fragment, to one of its headings.
/// </summary>
public partial class DocsLinksTests
{
    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6} (?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex("```.*?```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    /// <summary>GitHub's anchor for a heading: lower case, punctuation other than - and _ dropped, spaces to hyphens.</summary>
    public static string Slug(string heading) =>
        new string(heading.Trim().ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray())
            .Replace(' ', '-');

    private static HashSet<string> Anchors(string page) =>
        Heading().Matches(CodeBlock().Replace(File.ReadAllText(page), "")).Select(m => Slug(m.Groups["title"].Value))
            .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void Every_relative_link_and_anchor_resolves()
    {
        var broken = new List<string>();
        foreach (var page in Docs.Pages)
        {
            foreach (Match m in Link().Matches(CodeBlock().Replace(File.ReadAllText(page), "")))
            {
                var target = m.Groups["target"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                var parts = target.Split('#', 2);
                var file = parts[0].Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, parts[0]));
                if (!File.Exists(file)
                    && !Directory.Exists(file)) broken.Add($"{Path.GetRelativePath(Docs.Root, page)}: {target} (no such file)");
                else if (parts.Length == 2 && File.Exists(file) && file.EndsWith(".md", StringComparison.Ordinal) && !Anchors(file)
                    .Contains(parts[1]))
                    broken.Add($"{Path.GetRelativePath(Docs.Root, page)}: {target} (no such heading)");
            }
        }
        Assert.True(broken.Count == 0, "Broken links:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void The_README_is_a_front_page_of_at_most_15_KB_that_maps_every_page_of_docs()
    {
        var readme = File.ReadAllText(Docs.Pages[0]);
        Assert.True(readme.Length <= 15 * 1024, $"README.md is {readme.Length} characters");
        foreach (var page in Docs.Pages.Skip(1))
            Assert.Contains($"](docs/{Path.GetFileName(page)})", readme, StringComparison.Ordinal);
        // The two quick-start commands CI and newcomers rely on.
        Assert.Contains("dotnet run --project src/EntraProvisioningExporter -- --demo", readme, StringComparison.Ordinal);
        Assert.Contains("bash tests/run-all.sh", readme, StringComparison.Ordinal);
    }
}
