using System.Collections.Generic;
namespace MiDistill.Runtime.Hosting;
public static class RecipeHost
{
    public static int Main(string[] args, IReadOnlyList<Training.IRecipe> recipes)
    {
        foreach (var r in recipes) System.Console.WriteLine(r.Name + " " + r.Variants.Count);
        return 0;
    }
}
