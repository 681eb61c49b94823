"""outrank: measure how visible a business is in AI assistants."""

__version__ = "0.1.0"

PLATFORMS: tuple[str, ...] = ("chatgpt", "claude", "gemini", "perplexity")
# Question categories, as research proposes them and as subscribers may file their own.
QUESTION_CATEGORIES = ("finding_provider", "product_specific", "service", "comparison", "review", "how_to", "general")
