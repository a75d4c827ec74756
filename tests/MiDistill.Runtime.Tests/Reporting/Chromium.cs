using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace MiDistill.Runtime.Tests.Reporting;

/// <summary>
/// Debian's headless chromium as a child process. Missing chromium fails the test with what to do
/// (CI installs it with scripts/ensure-chromium.sh), never a silent skip.
/// </summary>
internal static class Chromium
{
    // No background traffic of chromium's own (updates, sync, field trials), so the net log holds only what the page asks for.
    private static readonly string[] Quiet =
    {
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
        "--disable-field-trial-config", "--hide-scrollbars", "--mute-audio",
    };

    public static string Executable()
    {
        var configured = Environment.GetEnvironmentVariable("MIDISTILL_CHROMIUM");
        if (!string.IsNullOrEmpty(configured)) return configured;
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        throw new Xunit.Sdk.XunitException("chromium is not installed: the report's browser test needs Debian's `chromium` (run scripts/ensure-chromium.sh as root, or set MIDISTILL_CHROMIUM to a chromium binary)");
    }

    /// <summary>Runs chromium headless with <paramref name="args"/> in a fresh profile; returns standard output (e.g. --dump-dom).</summary>
    public static string Run(string profile, params string[] args)
    {
        var start = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in Quiet.Append($"--user-data-dir={profile}").Concat(args)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish within 90 s");
        }
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"chromium exited with {process.ExitCode}:\n{stderr.Result}");
        return stdout.Result;
    }
}
