// The experiment executable: lists the recipes it was built with and runs one by name.
return MiDistill.Runtime.Hosting.RecipeHost.Main(args, MiDistill.Recipes.RecipeRegistry.All);
