"""Showing text the visitor or a file supplied, literally, and problems, in one style."""

from __future__ import annotations

import streamlit as st

__all__ = ["plain", "show_problem"]

MARKDOWN_SPECIALS = set("\\`*_[]<>#|~$")


def plain(text: str) -> str:
    """Text shown as it is: Streamlit renders messages as Markdown, where `__import__` would turn bold."""
    return "".join("\\" + character if character in MARKDOWN_SPECIALS else character for character in text)


def show_problem(error: ValueError | str, consequence: str = "") -> None:
    """A library's ValueError (or its message) as an error box, with what the page does instead."""
    st.error(f"{plain(str(error))}{'. ' + consequence if consequence else ''}")
