using System.Collections.Generic;
using MiDistill.LanguageServer.Protocol;

namespace MiDistill.LanguageServer.Workspace;

/// <summary>Offsets to LSP positions and back (0-based lines, UTF-16 characters, as the protocol counts by default).</summary>
public sealed class LineMap
{
    private readonly List<int> _lineStarts = new() { 0 };
    private readonly int _length;

    public LineMap(string text)
    {
        _length = text.Length;
        for (int i = 0; i < text.Length; i++)
            if (text[i] == '\n') _lineStarts.Add(i + 1);
    }

    public int LineCount => _lineStarts.Count;

    public Position PositionOf(int offset)
    {
        int line = _lineStarts.BinarySearch(offset);
        if (line < 0) line = ~line - 1;
        return new Position(line, offset - _lineStarts[line]);
    }

    public int OffsetOf(Position position)
    {
        if (position.Line >= _lineStarts.Count) return _length;
        int start = _lineStarts[System.Math.Max(0, position.Line)];
        int end = position.Line + 1 < _lineStarts.Count ? _lineStarts[position.Line + 1] - 1 : _length;
        return System.Math.Min(start + System.Math.Max(0, position.Character), end);
    }

    public Range RangeOf(int start, int length) => new(PositionOf(start), PositionOf(start + length));
}
