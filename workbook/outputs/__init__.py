"""Writing results: the template, recalculation in place, the summary, mail and the demo."""
