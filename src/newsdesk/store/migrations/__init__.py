"""The schema's migrations, ordered and named, one module a dialect."""
