namespace MiDistill.Dsl.Generator.Pipeline;

/// <summary>Tracking names of the incremental steps, so tests can assert what was cached.</summary>
public static class StepNames
{
    public const string RecipeFiles = nameof(RecipeFiles);
    public const string ReferencedForms = nameof(ReferencedForms);
    public const string ReferencedSections = nameof(ReferencedSections);
    public const string DeclaredForms = nameof(DeclaredForms);
    public const string CatalogReading = nameof(CatalogReading);
    public const string Catalog = nameof(Catalog);
    public const string ProjectDirectory = nameof(ProjectDirectory);
    public const string HelpDocument = nameof(HelpDocument);
    public const string Compiled = nameof(Compiled);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Recipes = nameof(Recipes);
    public const string RecipeSources = nameof(RecipeSources);
    public const string RecipeHeaders = nameof(RecipeHeaders);
    public const string DuplicateNames = nameof(DuplicateNames);
    public const string UniqueRecipes = nameof(UniqueRecipes);
    public const string Registry = nameof(Registry);
}
