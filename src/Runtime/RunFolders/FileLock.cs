using System;
using System.Globalization;
using System.IO;

namespace MiDistill.Runtime.RunFolders;

/// <summary>
/// An OS file lock (an exclusive open of <c>X.lock</c>) held by one process, with <c>X.owner</c>
/// saying which process holds it (readable while the lock itself is not). The OS drops the lock
/// when its process dies, so a killed process never leaves it held.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _owner;

    private FileLock(FileStream stream, string owner)
    {
        _stream = stream;
        _owner = owner;
    }

    /// <summary>Takes the lock, or returns null and who holds it.</summary>
    public static FileLock? TryAcquire(string lockFile, string ownerFile, out string holder)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            try { holder = File.ReadAllText(ownerFile).Trim(); }
            catch (IOException) { holder = ""; }
            if (holder.Length == 0) holder = "another process";
            return null;
        }
        holder = "";
        File.WriteAllText(ownerFile, string.Create(CultureInfo.InvariantCulture,
            $"process {Environment.ProcessId} on {Environment.MachineName} since {DateTime.Now:yyyy-MM-dd HH:mm:ss}\n"));
        return new FileLock(stream, ownerFile);
    }

    /// <summary>
    /// The lock of a cache entry (<c>entry.lock</c>, <c>entry.owner</c> beside <paramref name="entry"/>),
    /// waiting as long as another process holds it; <paramref name="waiting"/> is told each new holder.
    /// </summary>
    public static FileLock AcquireEntry(string entry, Action<string> waiting)
    {
        var lockFile = Path.ChangeExtension(entry, ".lock");
        var ownerFile = Path.ChangeExtension(entry, ".owner");
        string? reported = null;
        while (true)
        {
            var held = TryAcquire(lockFile, ownerFile, out var holder);
            if (held is not null) return held;
            if (reported != holder) waiting(holder);
            reported = holder;
            System.Threading.Thread.Sleep(200);
        }
    }

    public void Dispose()
    {
        try { File.Delete(_owner); }
        catch (IOException) { /* the lock below is what matters */ }
        _stream.Dispose();
    }
}
