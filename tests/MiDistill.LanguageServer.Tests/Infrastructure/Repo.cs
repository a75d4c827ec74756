using System;
using System.IO;

namespace MiDistill.LanguageServer.Tests.Infrastructure;

public static class Repo
{
    /// <summary>The repository root: the first folder above the test assembly holding MiDistill.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration these tests were built in (the server is built beside them in the same one).</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar)).Parent!.Name;

    public static string Path(params string[] parts) => System.IO.Path.Combine(Root, System.IO.Path.Combine(parts));

    public static string TestRecipes => Path("tests", "MiDistill.TestRecipes");

    public static string Uri(string path) => new System.Uri(path).AbsoluteUri;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MiDistill.sln"))) return dir.FullName;
        throw new InvalidOperationException("MiDistill.sln not found above " + AppContext.BaseDirectory);
    }
}
