using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiDistill.Runtime.RunFolders;

/// <summary>
/// settings.json: the resolved option records as indented JSON. Abstract records (RegimeOptions,
/// ObjectiveOptions, ...) are written with a "kind" property naming the concrete record, found by
/// reflection at run time, so a new record (a user's own student or loss) needs no registration.
/// </summary>
public static class SettingsJson
{
    public const string Discriminator = "kind";

    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static string Serialize(object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return JsonSerializer.Serialize(options, DeclaredType(options.GetType()), Options);
    }

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("settings JSON is null");

    // A concrete record passed on its own (a SamObjective) still names its kind.
    private static Type DeclaredType(Type type)
    {
        for (var t = type.BaseType; t is not null && t != typeof(object); t = t.BaseType)
            if (t.IsAbstract && PolymorphicConverterFactory.IsPolymorphic(t))
                return t;
        return type;
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            NewLine = "\n",
            // Files for people to read: keep '+', quotes in paths and non-ASCII as written.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new PolymorphicConverterFactory());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class PolymorphicConverterFactory : JsonConverterFactory
    {
        public static bool IsPolymorphic(Type type) =>
            type.IsClass && type.IsAbstract && type != typeof(object) && !typeof(IEnumerable).IsAssignableFrom(type);

        public override bool CanConvert(Type type) => IsPolymorphic(type);

        public override JsonConverter CreateConverter(Type type, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(PolymorphicConverter<>).MakeGenericType(type))!;
    }

    private sealed class PolymorphicConverter<TBase> : JsonConverter<TBase> where TBase : class
    {
        public override void Write(Utf8JsonWriter writer, TBase value, JsonSerializerOptions options)
        {
            var type = value.GetType();
            // The concrete type is not abstract, so this does not come back here.
            using var fields = JsonSerializer.SerializeToDocument(value, type, options);
            writer.WriteStartObject();
            writer.WriteString(Discriminator, type.Name);
            foreach (var property in fields.RootElement.EnumerateObject())
                property.WriteTo(writer);
            writer.WriteEndObject();
        }

        public override TBase? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
                return null;
            if (!root.TryGetProperty(Discriminator, out var kind) || kind.ValueKind != JsonValueKind.String)
                throw new JsonException($"a {typeof(TBase).Name} needs a \"{Discriminator}\" property naming its record");
            var name = kind.GetString()!;
            var type = FindDerived(name)
                ?? throw new JsonException($"unknown {typeof(TBase).Name} kind \"{name}\"; known: {string.Join(", ", KnownKinds())}");
            return (TBase?)root.Deserialize(type, options);
        }

        private static Type? FindDerived(string name) =>
            Candidates().FirstOrDefault(t => t.Name == name);

        private static IEnumerable<string> KnownKinds() => Candidates().Select(t => t.Name).Order(StringComparer.Ordinal);

        private static IEnumerable<Type> Candidates() =>
            AppDomain.CurrentDomain.GetAssemblies()
                .Where(a => !a.IsDynamic)
                .SelectMany(SafeTypes)
                .Where(t => !t.IsAbstract && typeof(TBase).IsAssignableFrom(t));

        private static IEnumerable<Type> SafeTypes(System.Reflection.Assembly assembly)
        {
            try
            {
                return assembly.GetTypes();
            }
            catch (System.Reflection.ReflectionTypeLoadException e)
            {
                return e.Types.Where(t => t is not null)!;
            }
        }
    }
}
