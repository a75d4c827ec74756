using System;
using System.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiDistill.Runtime.Data;

namespace MiDistill.Runtime.Export;

/// <summary>
/// How a model's training images were decoded from their files (an <c>image_folder</c> data set):
/// to <see cref="ImageSize"/> with <see cref="Resize"/>, as <see cref="Channels"/> channels. Export
/// records it in <c>metadata_props</c> (<see cref="OnnxMetadata.Decoding"/>) so that <c>predict</c>
/// decodes a deployer's images the same way.
/// </summary>
public sealed record ImageDecoding(int ImageSize, int Channels, ResizeFilter Resize)
{
    /// <summary>The metadata value: <c>{"image_size":28,"channels":1,"resize":"bilinear"}</c>.</summary>
    public string ToJson() => new JsonObject
    {
        ["image_size"] = ImageSize,
        ["channels"] = Channels,
        ["resize"] = Resize.ToString().ToLowerInvariant(),
    }.ToJsonString();

    /// <summary>Reads <see cref="ToJson"/>'s value; anything else is an error naming <paramref name="path"/>.</summary>
    public static ImageDecoding Parse(string json, string path)
    {
        try
        {
            var node = JsonNode.Parse(json)!.AsObject();
            int size = node["image_size"]!.GetValue<int>(), channels = node["channels"]!.GetValue<int>();
            var resize = node["resize"]!.GetValue<string>() switch
            {
                "bilinear" => ResizeFilter.Bilinear,
                "bicubic" => ResizeFilter.Bicubic,
                var other => throw new FormatException($"unknown resize `{other}`; expected bilinear or bicubic"),
            };
            if (size < 1 || channels is not (1 or 3)) throw new FormatException($"image_size {size} and channels {channels} are not an image's");
            return new ImageDecoding(size, channels, resize);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new InvalidDataException($"{path}: metadata `{OnnxMetadata.Decoding}` = {json} is not a decoding MiDistill wrote ({e.Message})", e);
        }
    }

    public override string ToString() => $"{(Channels == 1 ? "grayscale" : "RGB")}, resized {Resize.ToString().ToLowerInvariant()} to {ImageSize}x{ImageSize}";
}
