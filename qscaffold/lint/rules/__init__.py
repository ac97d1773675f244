"""Rule modules, one per family; importing this package registers them all."""
