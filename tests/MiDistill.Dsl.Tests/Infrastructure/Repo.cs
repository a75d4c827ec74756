using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;

namespace MiDistill.Dsl.Tests.Infrastructure;

public static class Repo
{
    /// <summary>The repository root: the first folder above the test assembly holding MiDistill.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine(new[] { Root }.Concat(parts).ToArray());

    public static string QuickstartText => File.ReadAllText(Path("recipes", "quickstart.distill"));

    /// <summary>The folder of the calling source file (for approved files kept next to the test).</summary>
    public static string SourceFolder([CallerFilePath] string file = "") => System.IO.Path.GetDirectoryName(file)!;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MiDistill.sln"))) return dir.FullName;
        throw new InvalidOperationException("MiDistill.sln not found above " + AppContext.BaseDirectory);
    }
}
