"""Reference sentences for intelligibility tests: no digits, no rare names, one sentence each.

Whisper writes numbers as digits, so every number-bearing sentence is left out.
"""

from __future__ import annotations

# IEEE 1969 "Harvard" phonetically balanced sentences (public domain), lists 1 and 2,
# minus the two that contain numbers ("Four hours of steady work...", "...sold fifty bonds.").
HARVARD: tuple[str, ...] = (
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.",
    "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.",
)

# Plain everyday sentences, the kind a voice assistant or notification service speaks.
PLAIN: tuple[str, ...] = (
    "Please close the window before you leave the house.",
    "The coffee shop on the corner opens early in the morning.",
    "Could you send me the report by the end of the day?",
    "We are going to the park if the weather stays nice.",
    "My sister likes to read mystery novels on the train.",
    "Turn left at the next light and park behind the bank.",
    "The meeting has been moved to next week.",
    "Remember to water the plants while I am away.",
    "He forgot his umbrella and got soaked on the way home.",
    "Thank you for calling, how can I help you today?",
    "The kitchen smells like fresh bread and warm butter.",
    "Let me know if you have any questions about your order.",
    "Your package will arrive tomorrow afternoon.",
    "I don't think we have enough time to finish this today.",
    "The doctor said I should drink more water and get some rest.",
    "Our flight was delayed because of the storm.",
)

ALL: tuple[str, ...] = HARVARD + PLAIN
