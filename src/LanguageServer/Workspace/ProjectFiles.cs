using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace MiDistill.LanguageServer.Workspace;

/// <summary>
/// A project's own files of one kind, as MSBuild's default globs take them: never under bin/ or obj/
/// (nor runs/ and .cache/, which MiDistill.props leaves out of the recipes). Those folders are not
/// even entered: a recipes project's bin/ holds thousands of TorchSharp files, and listing them on
/// every keystroke would cost more than compiling the recipe.
/// </summary>
internal static class ProjectFiles
{
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase) { "bin", "obj", "runs", ".cache", "node_modules", ".git" };

    public static IEnumerable<string> Find(string projectDirectory, string pattern)
    {
        var pending = new Stack<string>();
        pending.Push(projectDirectory);
        var found = new List<string>();
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            found.AddRange(Directory.EnumerateFiles(folder, pattern));
            foreach (var sub in Directory.EnumerateDirectories(folder))
                if (!Skipped.Contains(Path.GetFileName(sub))) pending.Push(sub);
        }
        return found.OrderBy(f => f, StringComparer.Ordinal);
    }
}
