"""The photos themselves: queries and rules of photos, comments and likes."""
