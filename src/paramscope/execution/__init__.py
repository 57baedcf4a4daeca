"""Execution: worker loops, executors and objective runners (functions and commands)."""
