"""Texts the benchmarks speak: fixed, so runs compare."""

from __future__ import annotations

__all__ = ["JA_CLAUSE", "JA_SENTENCES", "LONG_SENTENCES", "LONG_TEXT", "PEER_SENTENCES", "SENTENCES", "SHORT_TEXT"]

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

JA_SENTENCES = (
    "今日は天気がいいので、公園を散歩しましょう。",
    "駅の近くに新しい本屋ができました。",
    "明日の会議は午前十時から始まります。",
    "このレストランの料理はとてもおいしいです。",
    "東京タワーに行きました。",
    "週末は家族と一緒に映画を見ました。",
)
"""Japanese sentences for Kokoro's figures (its packaged voices are Japanese)."""
JA_CLAUSE = "ストリーミングで音声を届けます"
"""A first clause of a Japanese turn (16 characters, ~2 s of speech)."""

LONG_TEXT = " ".join(SENTENCES * 4)


PEER_SENTENCES = (
    "The kettle whistled while we set the table.",
    "Please close the gate behind you.",
    "A cold wind blew across the empty field.",
    "She found her keys under the sofa.",
    "The train was late again this morning.",
    "We planted tomatoes along the garden wall.",
    "He read the letter twice before he answered.",
    "The little boat drifted toward the shore.",
    "Turn left at the bakery and walk two blocks.",
    "Our neighbors painted their front door green.",
    "The museum opens early on weekends.",
    "Rain tapped softly against the window.",
    "They shared a pot of tea by the fire.",
    "The dog waited patiently at the door.",
    "Bring a warm coat for the evening walk.",
    "The children laughed at the clever puppet.",
    "A bright moon rose over the quiet hills.",
    "Write your name at the top of the page.",
    "The old clock in the hall stopped at noon.",
    "Thank you for calling, and have a good day.",
)
"""Twenty short plain sentences for ``voicewire bench peers``: no numbers, abbreviations or symbols,
so every server's text front end reads them the same way and the figures compare the servers."""

LONG_SENTENCES = (
    # About 20 s of audio in one sentence, with clauses.
    "When the last of the summer visitors had gone home and the little harbour was quiet again, the old "
    "fisherman mended his nets on the pier, counted the boats that rocked at their moorings, listened to the "
    "gulls arguing over the scraps, and wondered, as he did every year, whether the winter would be kind to them.",
    # About 50 s of audio in one sentence.
    "It was a long journey across the mountains, through valleys where the snow lay deep until late spring, "
    "over passes where the wind never stopped blowing, past villages whose names nobody could pronounce, "
    "along rivers that ran so fast and cold that the horses refused to cross them, and into forests so dark "
    "and still that the travellers spoke only in whispers, until at last, tired and hungry and very far from "
    "home, they saw the lights of the city shining below them in the evening mist, and they knew that every "
    "step of the way had been worth it, because the people they loved were waiting for them there.",
)
