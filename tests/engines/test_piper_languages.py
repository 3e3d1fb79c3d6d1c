"""A Piper voice in another language goes through the same text pipeline: its ``.onnx.json`` names its
espeak voice and language, and its numbers are read in that language.

No Piper voice for another language ships in a package; joe's model with a Spanish config stands in
(the phoneme table is espeak's IPA for every Piper voice, so the model reads Spanish phonemes, with
an American accent).
"""

from __future__ import annotations

import json
from pathlib import Path

from voicewire.engines.catalog import Catalog
from voicewire.engines.piper import PiperEngine, PiperVoiceFiles, bundled_voices
from voicewire.synthesis.units import prepare


def test_a_spanish_piper_voice_reads_its_numbers_in_spanish(tmp_path: Path) -> None:
    joe = bundled_voices()[0]
    config = json.loads(joe.config.read_text(encoding="utf-8"))
    config["espeak"]["voice"] = "es"
    config["language"] = {"code": "es_ES", "family": "es", "region": "ES", "name_english": "Spanish"}
    model = tmp_path / "pablo.onnx"
    model.symlink_to(joe.model)
    (tmp_path / "pablo.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    engine = PiperEngine(voices=[PiperVoiceFiles("pablo", model, tmp_path / "pablo.onnx.json")], cache_dir=tmp_path)
    voice = Catalog([engine], {}).resolve("pablo")
    assert voice.info.languages == ("es-ES",) and voice.language("es") == "es-ES" and not voice.multilingual
    unit = prepare("Tengo 25 años.", language=voice.language("auto"))
    assert unit.words == ["Tengo", "veinticinco", "años."]
    audio = engine.synthesize("pablo", unit.utterance(1.0))
    assert "θˈinko" in audio.phonemes and len(audio.word_spans) == 3, audio.phonemes
