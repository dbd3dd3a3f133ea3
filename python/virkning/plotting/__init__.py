"""Plots (matplotlib, imported lazily; install ``virkning[plot]``)."""
