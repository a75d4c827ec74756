MiDistill.Recipes.KillPoints.Install();
return MiDistill.Runtime.Hosting.RecipeHost.Main(args, MiDistill.Recipes.RecipeRegistry.All);
