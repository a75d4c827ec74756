using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.PortableExecutable;
using System.Threading;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Generator.Pipeline;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MiDistill.LanguageServer.Workspace;

/// <summary>
/// The schema one project's recipes compile against, read the way the generator reads it: the
/// sections and built-in forms from the MiDistill.Runtime assembly the project references, the
/// project's own <c>[RecipeForm]</c> records from its C# sources, both with the generator's own
/// readers (FormReader, SectionReader, CatalogReading), so the server and the build share one schema.
/// </summary>
internal sealed class ProjectSchema
{
    /// <summary>The project folder (MSBuild's MSBuildProjectDirectory), or the recipe's folder when no project holds it.</summary>
    public string Directory { get; }
    public RecipeSchema Schema { get; }
    public FormCatalog Catalog { get; }
    /// <summary>Where the project's own forms are declared, by their C# type (<c>global::</c>-qualified).</summary>
    public IReadOnlyDictionary<string, DeclarationSite> FormSites { get; }
    /// <summary>What is wrong with a declaration (shown by the build at the C# record; here for the log).</summary>
    public IReadOnlyList<string> Problems { get; }
    /// <summary>
    /// The declaration problems as the build reports them (MD0901, the generator's ReportProblems): at
    /// the C# record when it is declared in the project (Path is the .cs file), else without a place (Path empty).
    /// </summary>
    public IReadOnlyList<DslDiagnostic> DeclarationDiagnostics { get; }
    /// <summary>The runtime assembly the sections and built-in forms came from.</summary>
    public string RuntimeAssembly { get; }

    private ProjectSchema(string directory, CatalogReading reading, IReadOnlyDictionary<string, DeclarationSite> sites, string runtime)
    {
        Directory = directory;
        Catalog = reading.Catalog;
        Schema = RecipeSchema.Create(reading.Catalog);
        FormSites = sites;
        Problems = reading.Problems.Select(p => p.Type + ": " + p.Message).ToList();
        DeclarationDiagnostics = reading.Problems.Select(p => DslDiagnostic.Create(Descriptors.BadFormDeclaration, p.Site?.Path ?? "",
            p.Site is { } site ? new SourceSpan(site.Start, site.Length, site.StartLine + 1, site.StartCharacter + 1, site.EndLine + 1, site.EndCharacter + 1) : new SourceSpan(0, 0, 1, 1, 1, 1),
            p.Type.Length == 0 ? "catalog" : p.Type, p.Message)).ToList();
        RuntimeAssembly = runtime;
    }

    /// <summary>The folder of the nearest project file above <paramref name="recipePath"/> (the build's project folder).</summary>
    public static string ProjectDirectoryOf(string recipePath)
    {
        var start = Path.GetDirectoryName(Path.GetFullPath(recipePath))!;
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (dir.EnumerateFiles("*.csproj").Any()) return dir.FullName;
        return start;
    }

    public static ProjectSchema Read(string projectDirectory, CancellationToken ct = default)
    {
        var sources = SourceFiles(projectDirectory).ToList();
        var (references, runtime) = References(projectDirectory);
        var trees = sources.Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), path: path, cancellationToken: ct)).ToList();
        var compilation = CSharpCompilation.Create("Recipes", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        // As the generator's ForAttributeWithMetadataName step: every type declared in source with [RecipeForm].
        var declared = new List<FormReading>();
        foreach (var type in FormReader.Types(compilation.Assembly.GlobalNamespace))
        {
            if (!FormReader.HasAttribute(type, FormReader.FormAttribute)) continue;
            var node = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<TypeDeclarationSyntax>().FirstOrDefault();
            declared.Add(FormReader.FromSource(type, node is null ? null : Site(node)));
        }
        var reading = CatalogReading.Merge(FormReader.FromReferences(compilation, ct), declared, SectionReader.FromRuntime(compilation, ct));
        var sites = declared.Where(d => d.Site is not null).GroupBy(d => d.Form?.ClrType ?? d.ClrType)
            .ToDictionary(g => g.Key, g => g.First().Site!, StringComparer.Ordinal);
        return new ProjectSchema(projectDirectory, reading, sites, runtime);
    }

    /// <summary>What the schema was read from: the project's C# files and the runtime assembly, with their times and sizes.
    /// A different stamp means the schema must be read again (a saved .cs file, a new build).</summary>
    public static string Stamp(string projectDirectory)
    {
        var files = SourceFiles(projectDirectory).Append(References(projectDirectory, metadata: false).Runtime);
        return string.Join("\n", files.Select(f => { var info = new FileInfo(f); return f + "|" + (info.Exists ? info.LastWriteTimeUtc.Ticks + "|" + info.Length : "-"); }));
    }

    // The project's own C# sources, as MSBuild's default Compile glob takes them (without bin/ and obj/).
    // A project folder without a project file has none: only the recipe's folder itself was found.
    private static IEnumerable<string> SourceFiles(string projectDirectory)
    {
        if (!System.IO.Directory.EnumerateFiles(projectDirectory, "*.csproj").Any()) return Enumerable.Empty<string>();
        return ProjectFiles.Find(projectDirectory, "*.cs");
    }

    private static (List<MetadataReference> References, string Runtime) References(string projectDirectory, bool metadata = true)
    {
        // The project's build output holds the assemblies it references, the runtime's version among them;
        // before a first build, the runtime this server was built with (shipped beside it) stands in.
        var built = BuiltRuntime(projectDirectory);
        var runtime = built ?? Path.Combine(AppContext.BaseDirectory, "schema", "MiDistill.Runtime.dll");
        var references = new List<MetadataReference>();
        if (!metadata) return (references, runtime);
        references.AddRange(Framework.Value);
        var own = OwnAssemblyName(projectDirectory);
        var folder = Path.GetDirectoryName(runtime)!;
        var assemblies = built is null ? new[] { runtime } : System.IO.Directory.EnumerateFiles(folder, "*.dll")
            .Where(f => !string.Equals(Path.GetFileNameWithoutExtension(f), own, StringComparison.OrdinalIgnoreCase)
                && !FrameworkNames.Value.Contains(Path.GetFileName(f)));
        foreach (var file in assemblies.Where(IsManaged))
            references.Add(MetadataReference.CreateFromFile(file));
        return (references, runtime);
    }

    // The newest MiDistill.Runtime.dll in the project's output folders, bin/CONFIGURATION/TFM/ (the one last
    // built); only those folders are looked in, not the runtimes/ trees TorchSharp puts beside them.
    private static string? BuiltRuntime(string projectDirectory)
    {
        var bin = Path.Combine(projectDirectory, "bin");
        if (!System.IO.Directory.Exists(bin)) return null;
        return System.IO.Directory.EnumerateDirectories(bin)
            .SelectMany(configuration => System.IO.Directory.EnumerateDirectories(configuration))
            .Select(output => Path.Combine(output, "MiDistill.Runtime.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
    }

    // The project's own assembly is in its output too; its forms come from the sources instead.
    private static string OwnAssemblyName(string projectDirectory)
    {
        var project = System.IO.Directory.EnumerateFiles(projectDirectory, "*.csproj").FirstOrDefault();
        if (project is null) return "";
        var text = File.ReadAllText(project);
        var start = text.IndexOf("<AssemblyName>", StringComparison.Ordinal);
        if (start >= 0)
        {
            start += "<AssemblyName>".Length;
            var end = text.IndexOf("</AssemblyName>", start, StringComparison.Ordinal);
            if (end > start) return text.Substring(start, end - start).Trim();
        }
        return Path.GetFileNameWithoutExtension(project);
    }

    private static readonly Lazy<List<MetadataReference>> Framework = new(() =>
        FrameworkFiles().Select(f => (MetadataReference)MetadataReference.CreateFromFile(f)).ToList());

    private static readonly Lazy<HashSet<string>> FrameworkNames = new(() =>
        FrameworkFiles().Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase)!);

    // The shared framework this server runs on: the same reference set a net10.0 project compiles against.
    private static IEnumerable<string> FrameworkFiles() =>
        System.IO.Directory.EnumerateFiles(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "*.dll").Where(IsManaged);

    private static bool IsManaged(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            return pe.HasMetadata;
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static DeclarationSite? Site(TypeDeclarationSyntax node)
    {
        var location = node.Identifier.GetLocation();
        if (location.SourceTree is null) return null;
        var lines = location.GetLineSpan();
        return new DeclarationSite(location.SourceTree.FilePath, location.SourceSpan.Start, location.SourceSpan.Length,
            lines.StartLinePosition.Line, lines.StartLinePosition.Character, lines.EndLinePosition.Line, lines.EndLinePosition.Character);
    }
}
