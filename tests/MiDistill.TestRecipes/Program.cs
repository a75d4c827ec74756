return MiDistill.Runtime.Hosting.RecipeHost.Main(args, MiDistill.Recipes.RecipeRegistry.All);
