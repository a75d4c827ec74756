namespace MiDistill.Runtime.Training.Plan;

/// <summary>
/// Something a step of a unit produces and later steps need (the data splits, the fine-tuned
/// teacher, ...). Keys compare by reference: two steps agree on an artefact by sharing its key.
/// </summary>
public abstract class Artefact
{
    protected Artefact(string name) => Name = name;

    /// <summary>How the plan names it (<c>show --plan</c>).</summary>
    public string Name { get; }

    public override string ToString() => Name;
}

/// <summary>An artefact holding a <typeparamref name="T"/>; an <see cref="System.IDisposable"/> value is disposed with its unit.</summary>
public sealed class Artefact<T> : Artefact
{
    public Artefact(string name) : base(name) { }
}
