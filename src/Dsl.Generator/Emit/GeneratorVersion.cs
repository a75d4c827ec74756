using System.Reflection;

namespace MiDistill.Dsl.Generator.Emit;

/// <summary>The generator's name and version, as <c>[GeneratedCode]</c> states them on every emitted type.</summary>
internal static class GeneratorVersion
{
    public const string Name = "MiDistill.Dsl.Generator";

    /// <summary>
    /// The package version the generator was built with (<c>$(Version)</c> in Directory.Build.props): the
    /// informational version without its <c>+commit</c> suffix, so it keeps a pre-release label and
    /// generated code does not change with every commit. The assembly version would drop the label
    /// and add a fourth part (0.2.0.0).
    /// </summary>
    public static string Value { get; } = Read();

    private static string Read()
    {
        var assembly = typeof(GeneratorVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(informational))
        {
            int plus = informational!.IndexOf('+');
            return plus < 0 ? informational : informational.Substring(0, plus);
        }
        return assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }
}
