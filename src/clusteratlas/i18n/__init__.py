"""The zh/en label catalogue.

One catalogue, stored as several YAML files under ``i18n/catalogue/`` (one per area, so
that areas can be edited independently); keys must be unique across files. Each entry maps
a key to ``{zh: ..., en: ...}``. Chinese is the default for the Beijing preset.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

LANGS = ("zh", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """All labels, ``key -> {lang: text}``; raises ``ValueError`` on a duplicate key."""
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("clusteratlas.i18n") / "catalogue"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        labels = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        for key, texts in labels.items():
            if key in merged:
                raise ValueError(f"duplicate i18n key {key!r} in {entry.name}")
            missing = [lang for lang in LANGS if lang not in texts]
            if missing:
                raise ValueError(f"i18n key {key!r} in {entry.name} lacks {missing}")
            merged[key] = {lang: str(texts[lang]) for lang in LANGS}
    return merged


def t(key: str, lang: str = "zh") -> str:
    """The label for ``key`` in ``lang`` (``zh``/``en``); the key itself if unknown."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    return entry.get(lang, entry["en"])


@lru_cache(maxsize=2)
def region_names(lang: str = "zh") -> dict[str, str]:
    """Region code (GB/T 2260) → name in ``lang``, from the packaged region table."""
    from clusteratlas.refdata import regions

    table = regions()
    column = "name_zh" if lang == "zh" else "name_en"
    return dict(zip(table["code"].astype(str), table[column].astype(str), strict=True))
