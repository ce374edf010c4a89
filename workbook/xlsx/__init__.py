"""Package-level xlsx I/O: the zip package, its parts and properties, cell values and text."""
