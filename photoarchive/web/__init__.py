"""HTTP: thin handlers that parse, call the domain, and render."""
