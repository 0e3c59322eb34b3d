"""Pictures: decoding, renditions, metadata (the only Pillow users), and location blanking."""
