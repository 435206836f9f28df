"""Service scaffolding shared by the three services."""
