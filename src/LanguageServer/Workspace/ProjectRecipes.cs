using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Semantics;
using MiDistill.Dsl.Syntax;

namespace MiDistill.LanguageServer.Workspace;

/// <summary>
/// The checks the generator makes across a project's recipe files: a recipe name declared in two files
/// (MD0108), or two names that become one C# class (MD0150). Like the build, it looks at every
/// `**/*.distill` of the project (MiDistill.props's Distill items: not bin/, obj/, runs/, .cache/),
/// with the editor's text for the files that are open.
/// </summary>
internal sealed class ProjectRecipes
{
    private sealed record Header(string Name, string Path, SourceSpan Span);

    private sealed record Parsed(DateTime Time, long Length, List<Header> Headers);

    private readonly ConcurrentDictionary<string, Parsed> _onDisk = new(StringComparer.Ordinal);

    /// <param name="openText">The editor's text of an open file, or null (then the file on disk is read).</param>
    public List<DslDiagnostic> Check(string path, CompiledFile compiled, string projectDirectory, Func<string, string?> openText)
    {
        var headers = compiled.Declarations.Select(d => new Header(d.Name, path, d.Span)).ToList();
        // A recipe outside any project is compiled alone.
        if (!Directory.EnumerateFiles(projectDirectory, "*.csproj").Any()) return new List<DslDiagnostic>();
        foreach (var other in RecipeFiles(projectDirectory).Where(f => f != path))
            headers.AddRange(openText(other) is { } text ? Read(other, text) : ReadFromDisk(other));

        // The generator's rule (RecipeGenerator.ReportDuplicateNames): names grouped by the class they become;
        // the first by path and position keeps its name, each later one in another file is reported there.
        var found = new List<DslDiagnostic>();
        foreach (var group in headers.GroupBy(h => ClrNames.RecipeClass(h.Name), ClrNames.ClassComparer).Where(g => g.Select(h => h.Path).Distinct().Count() > 1))
        {
            var ordered = group.OrderBy(h => h.Path, StringComparer.Ordinal).ThenBy(h => h.Span.Start).ToList();
            var first = ordered[0];
            var where = Path.GetFileName(first.Path) + first.Span;
            foreach (var duplicate in ordered.Skip(1).Where(h => h.Path != first.Path && h.Path == path))
                found.Add(duplicate.Name == first.Name
                    ? DslDiagnostic.Create(Descriptors.DuplicateRecipe, duplicate.Path, duplicate.Span, duplicate.Name, where)
                    : DslDiagnostic.Create(Descriptors.RecipeClassClash, duplicate.Path, duplicate.Span,
                        duplicate.Name, ClrNames.RecipeClass(duplicate.Name), ClrNames.RecipeClass(first.Name), first.Name, where));
        }
        return found;
    }

    private static IEnumerable<string> RecipeFiles(string projectDirectory) => ProjectFiles.Find(projectDirectory, "*.distill");

    private List<Header> ReadFromDisk(string path)
    {
        var info = new FileInfo(path);
        if (_onDisk.TryGetValue(path, out var parsed) && parsed.Time == info.LastWriteTimeUtc && parsed.Length == info.Length) return parsed.Headers;
        var headers = Read(path, File.ReadAllText(path));
        _onDisk[path] = new Parsed(info.LastWriteTimeUtc, info.Length, headers);
        return headers;
    }

    // A file that does not parse declares nothing, as in the generator (its compile returns no declarations).
    private static List<Header> Read(string path, string text) =>
        RecipeParser.Parse(path, text).Tree?.Recipes.Select(r => new Header(r.Name.Text, path, r.Name.Span)).ToList() ?? new List<Header>();
}
