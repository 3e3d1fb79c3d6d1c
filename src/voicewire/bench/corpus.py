"""Texts the benchmarks speak: fixed, so runs compare."""

from __future__ import annotations

__all__ = ["LONG_TEXT", "SENTENCES", "SHORT_TEXT"]

SENTENCES = (
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
    "On the 3rd of March 2024, 1,250 people paid $9.99 each to hear Dr. Smith speak at 7:30 pm.",
    "Streaming delivers audio in real time for voice assistants and chatbots, so playback starts at once.",
)

SHORT_TEXT = "Hello! Your order has shipped and will arrive tomorrow."

LONG_TEXT = " ".join(SENTENCES * 4)
