"""Words of the report for people: sources by title, analysis notes and provenance in the
report's language, times in Beijing time.

The analyses write machine text — a target's ``source`` is ``"plan2021 (facts.csv
ngit_revenue_target 2025)"``, a note is ``"fewer than two observations: no trend"``. The report
shows a source by the plan document's title (linked) and each note from the i18n catalogue;
the machine text stays in the XLSX/JSON outputs and the English provenance, so every number
still traces to its source.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from clusteratlas.i18n import t

#: The report's clock: times are shown in Beijing time.
REPORT_TZ = ZoneInfo("Asia/Shanghai")

_ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


def local_time(moment: dt.datetime, lang: str) -> str:
    """``2026-12-07 11:52（北京时间）`` / ``2026-12-07 11:52 (Beijing time, UTC+8)``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone(REPORT_TZ):%Y-%m-%d %H:%M}{t('report.tz', lang)}"


#: English glue in Chinese source titles, and its Chinese.
_ZH_GLUE = ((" via ", " 转引自 "), (" summary ", "（摘要）"), (" summary", "（摘要）"))


def zh_title(text: str) -> str:
    """A source title for the Chinese report: English glue translated, English remarks in
    parentheses dropped (they stay in the English report)."""
    out = text
    for en, zh in _ZH_GLUE:
        out = out.replace(en, zh)
    return re.sub(r"\s*\((?=[^)]*[A-Za-z]{2,})[^)]*\)", "", out).strip()


def is_official(url: str) -> bool:
    """A government or statistics-office address (``*.gov.cn``, ``stats.*``)."""
    host = urlparse(url).netloc.lower()
    return host.endswith(".gov.cn") or host.endswith("gov.cn") or host.startswith("stats.")


def source_link(source: Any, plan: Any, lang: str) -> dict[str, str]:
    """``{'text', 'url', 'ref'}`` of a source string: a plan source id becomes the document's
    title (and address); a web address stays a link; ``ref`` keeps the machine reference
    (``facts_official.csv …``) for the English report and the provenance."""
    text = "" if source is None else str(source).strip()
    if not text:
        return {"text": "", "url": "", "ref": ""}
    head, _, rest = text.partition(" ")
    ref = rest.strip().strip("()").strip()
    documents = {s.id: s for s in getattr(plan, "sources", []) or []}
    if head in documents:
        doc = documents[head]
        title = str(doc.title) if lang == "en" else zh_title(str(doc.title))
        return {"text": title, "url": str(getattr(doc, "url", "") or ""), "ref": ref}
    if head.startswith(("http://", "https://")):
        from clusteratlas.analysis.facts import official_quote

        return {
            "text": head if lang == "en" else t("report.source.web", lang),
            "url": head,
            "ref": ref,
            "quote": official_quote(head),  # the official page's sentence, shown on hover
        }
    if text.startswith("cluster monitor"):  # "cluster monitor (registry|statistics)"
        return {"text": t("report.source.monitor", lang), "url": "", "ref": ""}
    if lang == "zh" and _ASCII_WORD.search(zh_title(text)):
        return {"text": t("report.source.plan_tracked", lang), "url": "", "ref": text}
    shown = re.sub(r"\s*\(facts(?:_official)?\.csv.*?\)", "", text)
    return {"text": shown if lang == "en" else zh_title(shown), "url": "", "ref": ref}


_NOTES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"latest actual is a bound \((?P<bound>[<>])(?P<value>[^)]+)\); "
            r"projections start from it"
        ),
        "report.note.bound",
    ),
    (re.compile(r"fewer than two observations: no trend"), "report.note.no_trend"),
    (re.compile(r"no actual for '(?P<indicator>[^']+)'"), "report.note.no_actual"),
    (re.compile(r"measured by revenue as a proxy for output"), "report.note.revenue_proxy"),
]


def note_text(note: Any, lang: str, unit: str = "", plan: Any = None) -> str:
    """An analysis note in ``lang``: known notes from the catalogue; an unknown English note
    is kept in the English report and summarised in the Chinese one."""
    from clusteratlas.report.html import format_value

    text = "" if note is None else str(note).strip()
    if not text:
        return ""
    parts = []
    for piece in [p.strip() for p in text.split(";") if p.strip()]:
        for pattern, key in _NOTES:
            match = pattern.search(piece)
            if match is None:
                continue
            values = match.groupdict()
            if "value" in values:
                with contextlib.suppress(ValueError):
                    values["value"] = format_value(float(values["value"]), unit, lang)
            if "indicator" in values:
                values["indicator"] = indicator_label(values["indicator"], lang, plan)
            parts.append(t(key, lang).format(**values))
            break
        else:
            parts.append(
                piece
                if lang == "en" or not _ASCII_WORD.search(piece)
                else t("report.note.other", lang)
            )
    return ("；" if lang == "zh" else "; ").join(dict.fromkeys(parts))


def indicator_label(indicator: str, lang: str, plan: Any = None) -> str:
    """The label of a published-fact or registry indicator (``fact.<id>`` in the catalogue,
    then the indicator registry; ``cluster_size:<cluster>:<measure>`` by the plan's cluster
    name); the id itself if none knows it."""
    from clusteratlas.model.indicators import INDICATORS

    if indicator.startswith("cluster_size:"):
        _, cluster, measure = ([*indicator.split(":"), "", ""])[:3]
        names = (
            {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.clusters}
            if plan
            else {}
        )
        sep = "" if lang == "zh" else " "
        return f"{names.get(cluster, cluster)}{sep}{indicator_label(measure or 'revenue', lang)}"

    key = f"fact.{indicator}"
    label = t(key, lang)
    if label != key:
        return label
    known = INDICATORS.get(indicator)
    if known is not None:
        return known.label_zh if lang == "zh" else known.label_en
    return indicator


def provenance_label(key: str, lang: str) -> str:
    """The label of a provenance entry (``report.prov.<key>``); the key if unknown."""
    name = f"report.prov.{key.replace(' ', '_')}"
    label = t(name, lang)
    return key if label == name else label


#: Latin words a Chinese page may carry: terms of the trade, units, names of tools and formats.
ALLOWED_WORDS = frozenset(
    {
        "GDP",
        "LQ",
        "ECI",
        "PCI",
        "COG",
        "RCA",
        "HHI",
        "EG",
        "R&D",
        "IT",
        "AI",
        "IC",
        "EDA",
        "IP",
        "CRO",
        "ZJTX",
        "USD",
        "CNY",
        "CSV",
        "XLSX",
        "JSON",
        "PDF",
        "HTML",
        "API",
        "SHA",
        "P",
        "p10",
        "p90",
        "logit",
        "ClusterAtlas",
        "duckdb",
        "ibis",
        "spark",
        "GB/T",
        "ISO",
        "F1",
        "km",
    }
)


class _Visible(HTMLParser):
    """Visible text of a page: no ``script``/``style``, no ``code`` (ids, paths, hashes)."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def english_words(html: str) -> list[str]:
    """The English words of a page's visible text outside :data:`ALLOWED_WORDS`, URLs,
    ``<code>`` and codes (tokens with digits: ``SYN000001``, ``2020-42``, ``p10``)."""
    parser = _Visible()
    parser.feed(html)
    text = re.sub(
        r"https?://\S+|www\.\S+|\S+\.(?:csv|parquet|duckdb|xlsx|html)\b",
        " ",
        " ".join(parser.parts),
    )
    words = []
    for token in re.findall(r"[A-Za-z][A-Za-z0-9&/'\-]*", text):
        if any(ch.isdigit() for ch in token) or token in ALLOWED_WORDS:
            continue
        if len(token) < 2:
            continue
        words.append(token)
    return words
