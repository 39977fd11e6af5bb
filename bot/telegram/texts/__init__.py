"""What a person reads, one module per feature."""
