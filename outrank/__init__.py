"""outrank: measure how visible a business is in AI assistants."""

__version__ = "0.1.0"

PLATFORMS: tuple[str, ...] = ("chatgpt", "claude", "gemini", "perplexity")
