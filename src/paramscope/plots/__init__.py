"""Plots: render analysis results and studies as plotly figures; data steps never draw."""
