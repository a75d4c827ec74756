using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace MiDistill.LanguageServer.Tests.Infrastructure;

/// <summary>
/// A minimal LSP client over the real server process's stdin and stdout: Content-Length framed
/// JSON-RPC, written here from the specification rather than with the server's own code, so the
/// tests see the bytes an editor sees.
/// </summary>
public sealed class LspClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stream _input;
    private readonly Dictionary<int, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly List<JsonNode> _notifications = new();
    // Completed (and replaced) whenever a notification arrives, so a waiting test wakes at once.
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new();
    private int _nextId;

    public static string ServerAssembly { get; } = Path.Combine(Repo.Root, "src", "LanguageServer", "bin", Repo.Configuration, "net10.0", "MiDistill.LanguageServer.dll");

    private LspClient(Process process)
    {
        _process = process;
        _input = process.StandardInput.BaseStream;
        _ = Task.Run(ReadLoop);
        process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
    }

    public static async Task<LspClient> StartAsync(object? initializationOptions = null)
    {
        Assert.True(File.Exists(ServerAssembly), "the server is built beside the tests: " + ServerAssembly);
        var start = new ProcessStartInfo("dotnet", new[] { ServerAssembly })
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var client = new LspClient(Process.Start(start)!);
        await client.RequestAsync("initialize", new { processId = Environment.ProcessId, rootUri = new Uri(Repo.Root).AbsoluteUri, capabilities = new { }, initializationOptions = initializationOptions ?? new { debounceMilliseconds = 0 } });
        await client.NotifyAsync("initialized", new { });
        return client;
    }

    public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }

    public async Task<JsonNode?> RequestAsync(string method, object parameters, int timeoutSeconds = 60)
    {
        var tcs = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        int id;
        lock (_gate) { id = ++_nextId; _pending[id] = tcs; }
        await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = JsonSerializer.SerializeToNode(parameters) });
        var exited = _process.WaitForExitAsync();
        var done = await Task.WhenAny(tcs.Task, exited, Task.Delay(TimeSpan.FromSeconds(timeoutSeconds)));
        if (done == exited && !tcs.Task.IsCompleted) throw new InvalidOperationException($"the server exited before answering {method}; stderr:\n{StandardError}");
        if (done != tcs.Task) throw new TimeoutException($"no answer to {method} in {timeoutSeconds} s; server stderr:\n{StandardError}");
        return await tcs.Task;
    }

    public Task NotifyAsync(string method, object parameters) =>
        SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = JsonSerializer.SerializeToNode(parameters) });

    /// <summary>The first notification of <paramref name="method"/> matching <paramref name="predicate"/>, received or still to come.</summary>
    public async Task<JsonNode> WaitForNotificationAsync(string method, Func<JsonNode, bool> predicate, int timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTime.UtcNow < deadline)
        {
            Task arrived;
            lock (_gate)
            {
                var found = _notifications.FirstOrDefault(n => (string?)n["method"] == method && predicate(n["params"]!));
                if (found is not null) { _notifications.Remove(found); return found["params"]!; }
                arrived = _arrived.Task;
            }
            await Task.WhenAny(arrived, Task.Delay(deadline - DateTime.UtcNow));
        }
        throw new TimeoutException($"no {method} notification in {timeoutSeconds} s; server stderr:\n{StandardError}");
    }

    public Task<JsonNode> DiagnosticsAsync(string uri, int version) =>
        WaitForNotificationAsync("textDocument/publishDiagnostics", p => (string?)p["uri"] == uri && (int?)p["version"] == version);

    public async Task OpenAsync(string uri, string text, int version = 1) =>
        await NotifyAsync("textDocument/didOpen", new { textDocument = new { uri, languageId = "distill", version, text } });

    private async Task SendAsync(JsonNode message)
    {
        var body = Encoding.UTF8.GetBytes(message.ToJsonString());
        var header = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n");
        await _input.WriteAsync(header);
        await _input.WriteAsync(body);
        await _input.FlushAsync();
    }

    private async Task ReadLoop()
    {
        var output = _process.StandardOutput.BaseStream;
        try
        {
            while (true)
            {
                int length = -1;
                string? line;
                while (!string.IsNullOrEmpty(line = await ReadLine(output)))
                    if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line.Substring(15).Trim());
                if (line is null || length < 0) return;
                var body = new byte[length];
                int read = 0;
                while (read < length)
                {
                    int n = await output.ReadAsync(body.AsMemory(read));
                    if (n == 0) return;
                    read += n;
                }
                var message = JsonNode.Parse(body)!;
                lock (_gate)
                {
                    if (message["id"] is { } id && message["method"] is null && _pending.Remove((int)id, out var tcs))
                    {
                        if (message["error"] is { } error) tcs.SetException(new InvalidOperationException("server error: " + error.ToJsonString()));
                        else tcs.SetResult(message["result"]);
                    }
                    else if (message["method"] is not null)
                    {
                        _notifications.Add(message);
                        _arrived.TrySetResult();
                        _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }
            }
        }
        catch (IOException) { }
    }

    private static async Task<string?> ReadLine(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            int n = await stream.ReadAsync(one);
            if (n == 0) return bytes.Count == 0 ? null : Encoding.ASCII.GetString(bytes.ToArray());
            if (one[0] == '\n') return Encoding.ASCII.GetString(bytes.ToArray()).TrimEnd('\r');
            bytes.Add(one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await RequestAsync("shutdown", new { }, 10);
                await NotifyAsync("exit", new { });
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException)
        {
            if (!_process.HasExited) _process.Kill();
        }
        _process.Dispose();
    }

    public int ExitCode => _process.ExitCode;
    public bool WaitForExit(int milliseconds) => _process.WaitForExit(milliseconds);
}
