"""Pure, escaped HTML built from the core's results: feedback, the take-home summary, pages."""
