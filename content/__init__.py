"""The guidance cards, their loader and search index, and the triage tree.

No Textual imports anywhere in this package (a test enforces it).
"""
