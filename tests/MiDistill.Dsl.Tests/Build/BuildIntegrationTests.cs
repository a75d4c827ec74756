using System;
using System.Diagnostics;
using System.IO;
using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Build;

/// <summary>
/// The whole path a user takes: a project importing build/MiDistill.Recipes.targets, a broken
/// recipe, `dotnet build`. The build must fail, with the error in MSBuild's canonical form at the
/// recipe's line and column (a generator that only warns would leave a green build).
/// </summary>
public class BuildIntegrationTests
{
    [Fact]
    public void Build_fails_with_the_recipe_error_at_its_position()
    {
        var folder = Path.Combine(Path.GetTempPath(), "midistill-build-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(folder);
        try
        {
            var targets = Repo.Path("build", "MiDistill.Recipes.targets");
            File.WriteAllText(Path.Combine(folder, "Bad.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>disable</ImplicitUsings>
                  </PropertyGroup>
                  <Import Project="{targets}" />
                </Project>
                """);
            File.WriteAllText(Path.Combine(folder, "Program.cs"),
                "return MiDistill.Runtime.Hosting.RecipeHost.Main(args, MiDistill.Recipes.RecipeRegistry.All);\n");
            File.WriteAllText(Path.Combine(folder, "bad.distill"),
                "# The teacher (tiny_28) has 4 blocks; reweighting 9 of them is an error.\n" +
                "recipe bad {\n" +
                "  teacher {\n" +
                "    pretrain upstream(classes: 0..4)\n" +
                "  }\n" +
                "  data {\n" +
                "    classes 5..9\n" +
                "  }\n" +
                "  finetune {\n" +
                "    reweight mlp(top: 9, alpha: 0.5)\n" +
                "  }\n" +
                "}\n");

            // The project's own student, checked like a built-in one.
            File.WriteAllText(Path.Combine(folder, "MyStudent.cs"), """
                using MiDistill.Runtime.Options;
                using static TorchSharp.torch;
                [RecipeForm("my_cnn", "The user's own student.")]
                public sealed record MyCnnOptions([RecipeArg(Doc = "channels", Min = 4, Max = 512)] int Width = 32) : StudentOptions
                {
                    public override nn.Module<Tensor, Tensor> Create(int inChannels, int numClasses) => nn.Linear(inChannels, numClasses);
                }
                """);
            File.WriteAllText(Path.Combine(folder, "own.distill"),
                "recipe own {\n  teacher { pretrain upstream(classes: 0..4) }\n  data { classes 5..9 }\n  distill { student my_cnn(width: 1024) }\n}\n");

            var errorLog = Path.Combine(folder, "errors.sarif");
            var (exitCode, output) = Dotnet(folder, "build", "-nologo", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-p:ErrorLog=" + errorLog);

            Assert.True(exitCode != 0, "the build should fail:\n" + output);
            Assert.Contains("bad.distill(10,23): error MD0113: `reweight` top = 9 exceeds the teacher's depth (4 blocks of `tiny_28`); use at most 4", output);
            Assert.Contains("own.distill(4,35): error MD0106: `distill.student.width` = 1024 is out of range; expected 4..512", output);
            Assert.DoesNotContain("CS8785", output);

            // What the IDE shows beside the error: the help link opens this repository's docs/language.md
            // (MiDistillLanguageReference, made visible to the generator by MiDistill.targets) at the id's row.
            var rules = HelpLinks(File.ReadAllText(errorLog));
            foreach (var id in new[] { "MD0113", "MD0106" })
            {
                Assert.True(rules.TryGetValue(id, out var help), $"no help link for {id} in the error log");
                var link = new Uri(help!);
                Assert.True(link.IsFile, help);
                Assert.Equal(Repo.Path("docs", "language.md"), link.LocalPath);
                Assert.Equal("#" + id.ToLowerInvariant(), link.Fragment);
            }
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { /* a leftover temp folder is harmless */ }
        }
    }

    /// <summary>Rule id to help URI from a SARIF log (version 1 keys rules by id, version 2 lists them).</summary>
    private static System.Collections.Generic.Dictionary<string, string> HelpLinks(string sarif)
    {
        var links = new System.Collections.Generic.Dictionary<string, string>();
        void Walk(System.Text.Json.JsonElement e)
        {
            if (e.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                if (e.TryGetProperty("id", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String &&
                    e.TryGetProperty("helpUri", out var uri) && uri.ValueKind == System.Text.Json.JsonValueKind.String)
                    links[id.GetString()!] = uri.GetString()!;
                foreach (var p in e.EnumerateObject()) Walk(p.Value);
            }
            else if (e.ValueKind == System.Text.Json.JsonValueKind.Array)
                foreach (var item in e.EnumerateArray()) Walk(item);
        }
        using var doc = System.Text.Json.JsonDocument.Parse(sarif);
        Walk(doc.RootElement);
        return links;
    }

    private static (int ExitCode, string Output) Dotnet(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // The test host's own MSBuild variables must not leak into the child build.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet build took more than 4 minutes:\n" + stdout);
        }
        return (process.ExitCode, stdout + stderr.Result);
    }
}
