using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.Architecture;

/// <summary>
/// The runtime's layers (docs/architecture.md, "Layers"), read from the built assembly: every
/// type's signatures, attributes and method bodies (IL), so a reference the source spells without
/// a <c>using</c> (<c>Options.X</c> from inside <c>MiDistill.Runtime</c>) counts too.
/// </summary>
public sealed class LayerTests
{
    private const string Root = "MiDistill.Runtime";

    // The leaves take primitives or their own small specs: the recipe vocabulary (Options), the
    // plan and its steps (Training), run-folder persistence, presentation and the hosts call
    // into them, never the other way round.
    private static readonly string[] Leaves = ["Models", "Export", "Data", "Augment", "Optim", "Distill", "Information", "Checkpoints"];
    private static readonly string[] AboveLeaves = ["Options", "Training", "RunFolders", "Reporting", "Sweeps", "Hosting"];

    public static TheoryData<string> LeafNamespaces() => new(Leaves);

    [Theory]
    [MemberData(nameof(LeafNamespaces))]
    public void A_leaf_references_nothing_above_the_leaves(string leaf)
    {
        var wrong = References(leaf).Where(r => AboveLeaves.Contains(r.Target)).Select(r => $"{r.From} -> {r.To}").Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(wrong.Count == 0, $"{Root}.{leaf} must know nothing of {string.Join(", ", AboveLeaves)}, but:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void Every_folder_of_the_runtime_has_its_place_in_the_layers()
    {
        // A new folder is placed here (and in docs/architecture.md) before its arrows are checked.
        var unplaced = typeof(Experiment).Assembly.GetTypes().Select(Part).OfType<string>().Distinct()
            .Where(part => !Leaves.Contains(part) && !AboveLeaves.Contains(part)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unplaced.Count == 0, "not placed among the layers: " + string.Join(", ", unplaced));
    }

    [Fact]
    public void Checkpoints_are_the_bottom_layer()
    {
        var wrong = References("Checkpoints").Select(r => $"{r.From} -> {r.To}").Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(wrong.Count == 0, $"{Root}.Checkpoints must reference no other part of the runtime, but:\n" + string.Join("\n", wrong));
    }

    [Theory]
    // Persistence and presentation lie below the plan: they know nothing of training or the hosts;
    // the run folder shows nothing (TensorBoard, the report and the console observe the run).
    [InlineData("RunFolders", new[] { "Training", "Reporting", "Sweeps", "Hosting" })]
    [InlineData("Reporting", new[] { "Training", "Sweeps", "Hosting" })]
    // The recipe vocabulary calls into the leaves; it does not run anything.
    [InlineData("Options", new[] { "Training", "RunFolders", "Reporting", "Sweeps", "Hosting" })]
    // Training runs plans; sweeps and the command line drive it, never the reverse.
    [InlineData("Training", new[] { "Sweeps", "Hosting" })]
    public void Arrows_point_one_way(string layer, string[] above)
    {
        var wrong = References(layer).Where(r => above.Contains(r.Target)).Select(r => $"{r.From} -> {r.To}").Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(wrong.Count == 0, $"{Root}.{layer} must not reference {string.Join(", ", above)}, but:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void The_walker_sees_references_inside_method_bodies()
    {
        // Trainer's signatures name no TensorBoard or RunFolders type; its body does (MetricsWriter.Format).
        Assert.Contains(References("Training"), r => r.From.StartsWith("MiDistill.Runtime.Training.Trainer", StringComparison.Ordinal) && r.Target == "RunFolders");
    }

    private sealed record Reference(string From, string To, string Target);

    /// <summary>The runtime's top-level namespace part a type lives in (Training for Training.Plan), or null outside the runtime.</summary>
    private static string? Part(Type? type)
    {
        while (type is { IsNested: true }) type = type.DeclaringType;
        var ns = type?.Namespace;
        if (ns is null || type!.Assembly != typeof(Experiment).Assembly || !ns.StartsWith(Root + ".", StringComparison.Ordinal)) return null;
        var rest = ns[(Root.Length + 1)..];
        int dot = rest.IndexOf('.');
        return dot < 0 ? rest : rest[..dot];
    }

    private static List<Reference> References(string layer)
    {
        var found = new List<Reference>();
        foreach (var type in typeof(Experiment).Assembly.GetTypes().Where(t => Part(t) == layer))
            foreach (var used in Used(type))
                if (Part(used) is { } target && target != layer)
                    found.Add(new Reference(type.FullName ?? type.Name, used.FullName ?? used.Name, target));
        return found;
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<Type> Used(Type type)
    {
        var used = new List<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericParameter) return;
            used.Add(t);
            if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) Add(a);
        }
        void Attributes(IEnumerable<CustomAttributeData> attributes)
        {
            foreach (var a in attributes)
            {
                Add(a.AttributeType);
                foreach (var arg in a.ConstructorArguments.Concat(a.NamedArguments.Select(n => n.TypedValue)))
                {
                    Add(arg.ArgumentType);
                    if (arg.Value is Type t) Add(t);
                }
            }
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        Attributes(type.CustomAttributes);
        foreach (var f in type.GetFields(All)) { Add(f.FieldType); Attributes(f.CustomAttributes); }
        foreach (var p in type.GetProperties(All)) { Add(p.PropertyType); Attributes(p.CustomAttributes); }
        foreach (var e in type.GetEvents(All)) Add(e.EventHandlerType);
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            Attributes(m.CustomAttributes);
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) { Add(p.ParameterType); Attributes(p.CustomAttributes); }
            Body(m, Add);
        }
        return used;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    // Every type, field and method token in the body's IL, resolved to the type that declares it.
    private static void Body(MethodBase method, Action<Type?> add)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) return;
        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var member = module.ResolveMember(BitConverter.ToInt32(il, at), typeArgs, methodArgs);
                    switch (member)
                    {
                        case Type t: add(t); break;
                        case FieldInfo f: add(f.DeclaringType); add(f.FieldType); break;
                        case MethodBase m:
                            add(m.DeclaringType);
                            if (m is MethodInfo { IsGenericMethod: true } g) foreach (var a in g.GetGenericArguments()) add(a);
                            break;
                    }
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + 4 * BitConverter.ToInt32(il, at);
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineNone:
                    break;
                default:
                    at += 4;
                    break;
            }
        }
    }
}
