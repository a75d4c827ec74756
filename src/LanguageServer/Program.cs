using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using MiDistill.LanguageServer.Formatting;
using MiDistill.LanguageServer.Protocol;
using MiDistill.LanguageServer.Server;
using MiDistill.LanguageServer.Workspace;
using StreamJsonRpc;

namespace MiDistill.LanguageServer;

/// <summary>
/// <c>midistill-lsp</c>: with no arguments (or <c>--stdio</c>) the language server on stdin/stdout;
/// <c>format [--check] PATH...</c> formats recipes (CI runs <c>--check</c> over the shipped ones);
/// <c>bench [RECIPE]</c> times a change to its diagnostics.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] == "--stdio") return await Serve();
        return args[0] switch
        {
            "format" => FormatFiles(args.Skip(1).ToList()),
            "bench" => Bench(args.Skip(1).ToList()),
            "--version" => PrintVersion(),
            _ => Usage(),
        };
    }

    private static async Task<int> Serve()
    {
        // stdout carries the protocol only: anything else written there would corrupt it.
        var stdout = Console.OpenStandardOutput();
        var stdin = Console.OpenStandardInput();
        Console.SetOut(Console.Error);
        var formatter = new SystemTextJsonFormatter();
        ProtocolJson.Configure(formatter.JsonSerializerOptions);
        var server = new RecipeLanguageServer();
        using var rpc = new JsonRpc(new HeaderDelimitedMessageHandler(stdout, stdin, formatter));
        rpc.AddLocalRpcTarget(server, new JsonRpcTargetOptions { AllowNonPublicInvocation = false });
        server.Attach(rpc);
        rpc.StartListening();
        // The client closing the pipe without `exit` also ends the server.
        await Task.WhenAny(server.Exited, rpc.Completion);
        return server.Exited.IsCompleted ? server.ExitCode : 1;
    }

    private static int FormatFiles(List<string> args)
    {
        bool check = args.Remove("--check");
        var files = args.SelectMany(Recipes).ToList();
        if (files.Count == 0) { Console.Error.WriteLine("format: no .distill file found in " + string.Join(" ", args)); return 2; }
        int differ = 0;
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var formatted = RecipeFormatter.Format(text);
            if (formatted is null) { Console.Error.WriteLine($"{file}: does not parse; build it to see the error"); differ++; continue; }
            if (formatted == text) continue;
            differ++;
            if (check) Console.WriteLine($"{file}: not formatted (midistill-lsp format {file})");
            else { File.WriteAllText(file, formatted); Console.WriteLine($"{file}: formatted"); }
        }
        if (check) Console.WriteLine($"{files.Count - differ} of {files.Count} recipes formatted");
        return check && differ > 0 ? 1 : 0;
    }

    private static IEnumerable<string> Recipes(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*.distill", SearchOption.AllDirectories)
                .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules"))
                .OrderBy(f => f, StringComparer.Ordinal)
            : new[] { path };

    /// <summary>
    /// The time from a changed text to the diagnostics as they go on the wire: tokens, parse, compile
    /// against the project's schema, conversion and JSON. The debounce pause and the pipe are not in it.
    /// </summary>
    private static int Bench(List<string> args)
    {
        var file = Path.GetFullPath(args.FirstOrDefault() ?? Path.Combine("recipes", "studies", "fewshot.distill"));
        if (!File.Exists(file)) { Console.Error.WriteLine("bench: no recipe at " + file); return 2; }
        var text = File.ReadAllText(file);
        var server = new RecipeLanguageServer();
        var uri = RecipeDocument.UriOf(file);
        var load = Stopwatch.StartNew();
        server.Diagnose(new RecipeDocument(uri, file, text, 0));
        Console.WriteLine($"schema read and first compile: {load.Elapsed.TotalMilliseconds:F0} ms ({file}, {text.Length} characters)");
        var times = new List<double>();
        for (int i = 1; i <= 230; i++)
        {
            // Each change edits a number, as typing does, so no result can be reused.
            var changed = text.Replace("epochs 30", "epochs " + (30 + i % 7), StringComparison.Ordinal);
            var watch = Stopwatch.StartNew();
            var diagnostics = server.Diagnose(new RecipeDocument(uri, file, changed, i));
            JsonSerializer.Serialize(new PublishDiagnosticsParams(uri, i, diagnostics), ProtocolJson.Options);
            if (i > 30) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"change to diagnostics, after 30 warm-up changes, {times.Count} changes: median {times[times.Count / 2]:F1} ms, p95 {times[(int)(times.Count * 0.95)]:F1} ms, max {times[^1]:F1} ms (goal: under 50 ms)");
        return 0;
    }

    private static int PrintVersion()
    {
        Console.WriteLine(typeof(Program).Assembly.GetName().Version);
        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: midistill-lsp [--stdio]          the language server, over stdin and stdout\n" +
                                "       midistill-lsp format [--check] PATH...   format recipes (files or folders); --check only reports\n" +
                                "       midistill-lsp bench [RECIPE]      time a change to its diagnostics");
        return 2;
    }
}
