"""Vectorised generation of the synthetic registry (NumPy, no Python objects per firm).

Two populations:

* the **core**: Beijing firms of the plan's clusters, generated in one go (their count is
  ``max(1.6 % of N, the minimum the tag counts need)``), classified with
  :func:`clusteratlas.classify.classify_firms` and rescaled per cluster and year so that the
  Beijing cluster revenues equal the calibration targets (:mod:`clusteratlas.synth.targets`);
  the tags (unicorn, zjtx, little_giant, single_champion) are drawn from it with exact counts;
* the **remainder**: every other firm — Beijing firms of industries outside every cluster (no
  cluster keyword in name or scope, so they cannot change a calibrated total), Tianjin,
  Hebei and the other provinces with the national input–output industry mix — generated in
  fixed blocks of :data:`BLOCK` firms, each block from its own random stream
  ``SeedSequence([seed, 2, block])``. Output is therefore identical whatever chunk size the
  writer uses, and memory is bounded by the chunk.

Money in yuan, people in persons, ratios as fractions, valuations in US dollars.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.errors import ClusterAtlasError
from clusteratlas.ingest.uscc import CHARSET, ORG_WEIGHTS, WEIGHTS
from clusteratlas.model.schema import FIRM_YEAR_MEASURES, LADDER_ATTRIBUTES, TABLES
from clusteratlas.synth import universe as U
from clusteratlas.synth.targets import (
    CALIBRATION_ORDER,
    HIGH_END_SHARE_INDICATOR,
    cluster_targets,
    tag_targets,
    value_added_targets,
)

BLOCK = 16384
"""Firms per random-stream block of the remainder (chunks are whole numbers of blocks)."""

CORE_SHARE = 0.25
"""Core (Beijing cluster) firms as a share of all firms. ASSUMPTION: the registry oversamples
the plan's region so its clusters, chains and ladder have firm-level depth; firm *counts* are a
sample, the calibration is carried by revenue totals (Beijing's clusters, every province)."""

CORE_MAX = 160_000
"""Cap on core firms: the core is generated in one go, so this bounds memory for huge N."""

MAX_TAGGED_SHARE = 0.35
"""At most this share of core firms carries a tag in one year; above it the real tag counts
are scaled down (ASSUMPTION; ``tag_scale`` in SYNTHETIC.md and calibration.csv)."""

BEIJING_REST_FLOOR = 0.1
"""Beijing's non-cluster firms earn at least this share of Beijing's revenue target."""

PHRASE_SHARE = 0.3
"""Share of firms outside Beijing in a class some keyword applies to that carry one."""

TILT_SIGMA = 0.5
"""ASSUMPTION: log-sd of a province × division specialisation factor (seeded), on top of the
real high-tech split; it gives the provinces distinct industry mixes."""

USD_PER_YUAN = 1 / 7.0
"""ASSUMPTION: conversion for valuations (7 yuan per US dollar)."""

UNICORN_USD = 1e9


@dataclass(frozen=True)
class Segment:
    """A group of core firms aimed at one cluster: class prefixes (minus ``exclude``), keyword
    phrases put in the scope (share ``kw_share``; half of those also in the name), district
    profile, trade-name pool, share of core firms and log-median revenue (yuan)."""

    id: str
    prefixes: tuple[str, ...]
    phrases: tuple[str, ...] = ()
    kw_share: float = 0.0
    profile: str = "ict"
    trade: str = "ict"
    weight: float = 0.01
    mu: float = 16.5
    exclude: tuple[str, ...] = ()
    vc_share: float = 0.2


SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "quantum_brain",
        ("7320", "6513"),
        ("量子通信", "量子精密测量", "脑机接口"),
        1.0,
        "scitech",
        "scitech",
        0.006,
        15.5,
        vc_share=0.5,
    ),
    Segment(
        "dual_carbon",
        ("7320", "7499"),
        ("碳捕集利用与封存", "碳交易咨询", "碳中和规划咨询"),
        1.0,
        "scitech",
        "scitech",
        0.006,
        15.5,
    ),
    Segment(
        "frontier_materials",
        ("7513", "26", "32"),
        ("石墨烯材料", "纳米材料", "超导材料"),
        1.0,
        "manufacturing",
        "manufacturing",
        0.01,
        16.0,
    ),
    Segment(
        "optoelectronics",
        ("3975", "3976", "3832", "3833", "4040"),
        ("激光器", "硅光器件", "光电子器件"),
        0.3,
        "manufacturing",
        "manufacturing",
        0.01,
        16.5,
    ),
    Segment(
        "biotech_life_science",
        ("2761", "2762", "7512", "7310"),
        ("合成生物", "基因编辑", "干细胞技术"),
        1.0,
        "medicine",
        "medicine",
        0.015,
        16.5,
        vc_share=0.4,
    ),
    Segment(
        "ai",
        ("6512", "6513", "6519", "6599", "7320"),
        ("人工智能", "机器学习", "计算机视觉", "大模型", "自然语言处理", "语音识别"),
        1.0,
        "ict",
        "ict",
        0.06,
        16.5,
        vc_share=0.45,
    ),
    Segment(
        "ic",
        ("3972", "3973", "3985", "3562", "6520"),
        ("集成电路", "芯片设计", "封装测试", "半导体", "EDA软件"),
        0.4,
        "ic",
        "manufacturing",
        0.03,
        17.0,
        vc_share=0.35,
    ),
    Segment(
        "blockchain_computing",
        ("6550", "6511"),
        ("区块链", "算力服务", "数据中心", "先进计算"),
        0.5,
        "ict",
        "ict",
        0.02,
        16.5,
        vc_share=0.3,
    ),
    Segment(
        "smart_city",
        ("6531", "6532", "6571", "7441", "3595", "3596"),
        ("智慧城市", "城市大脑", "数字孪生"),
        0.4,
        "ict",
        "ict",
        0.03,
        16.5,
    ),
    Segment(
        "info_content",
        ("642", "6572", "6579", "86", "87"),
        ("短视频", "网络游戏", "数字内容"),
        0.3,
        "ict",
        "ict",
        0.04,
        16.0,
        vc_share=0.25,
    ),
    Segment(
        "pharma_manufacturing",
        ("27",),
        ("生物医药", "创新药"),
        0.2,
        "medicine",
        "medicine",
        0.03,
        17.5,
        exclude=("2761", "2762"),
        vc_share=0.15,
    ),
    Segment(
        "medicine_health",
        ("358", "3544", "5151", "5152", "5154", "5251", "5252", "5254", "7340"),
        ("医疗器械", "体外诊断", "医药研发"),
        0.3,
        "medicine",
        "medicine",
        0.05,
        16.5,
        vc_share=0.2,
    ),
    Segment(
        "green_energy",
        (
            "3415",
            "3825",
            "384",
            "3591",
            "4415",
            "4416",
            "4417",
            "4520",
            "462",
            "772",
            "7514",
            "7515",
            "7516",
            "42",
        ),
        ("储能", "光伏", "氢能", "燃料电池"),
        0.3,
        "manufacturing",
        "manufacturing",
        0.03,
        16.5,
    ),
    Segment(
        "icv",
        ("36",),
        ("自动驾驶", "车联网", "智能网联"),
        0.2,
        "manufacturing",
        "manufacturing",
        0.03,
        17.5,
        vc_share=0.15,
    ),
    Segment(
        "smart_equipment",
        ("34", "35", "37", "40"),
        ("工业机器人", "数控机床", "工业互联网", "增材制造"),
        0.15,
        "manufacturing",
        "manufacturing",
        0.10,
        16.5,
        exclude=("3415", "3544", "358", "3562", "3591", "4040", "3595", "3596"),
        vc_share=0.1,
    ),
    Segment(
        "software_info_services",
        ("63", "64", "65"),
        (),
        0.0,
        "ict",
        "ict",
        0.25,
        16.5,
        exclude=("642", "6511", "6520", "6531", "6532", "6550", "6571", "6572", "6579"),
        vc_share=0.15,
    ),
    Segment(
        "ngit",
        ("391", "392", "393", "394", "395", "396", "3974", "398", "399"),
        (),
        0.0,
        "ict",
        "manufacturing",
        0.05,
        17.0,
        exclude=("3985",),
        vc_share=0.1,
    ),
    Segment(
        "sci_tech_services",
        ("73", "74", "75"),
        (),
        0.0,
        "scitech",
        "scitech",
        0.22,
        16.0,
        exclude=("7340", "7441", "7512", "7513", "7514", "7515", "7516"),
        vc_share=0.1,
    ),
)
"""Core segments (the id names the cluster a segment feeds; overlaps are by design)."""

_TECH_DIVISIONS = (
    "26",
    "27",
    "32",
    "34",
    "35",
    "36",
    "37",
    "38",
    "39",
    "40",
    "63",
    "64",
    "65",
    "73",
    "74",
    "75",
)


def _expand(prefixes: tuple[str, ...], exclude: tuple[str, ...], classes: np.ndarray) -> np.ndarray:
    keep = np.zeros(len(classes), bool)
    for p in prefixes:
        keep |= np.char.startswith(classes.astype(str), p)
    for p in exclude:
        keep &= ~np.char.startswith(classes.astype(str), p)
    return np.nonzero(keep)[0]


@dataclass
class _Tables:
    """Arrow tables of one generated population."""

    firms: pa.Table
    firm_years: pa.Table
    fy_pos: np.ndarray
    tags: pa.Table | None = None
    tag_pos: np.ndarray | None = None


@dataclass
class Context:
    """Everything a run needs that does not depend on the chunking (built once per run).

    Firms outside the core are drawn into **cells** (a region × a group: ``0`` other
    industries, ``1`` high-tech manufacturing, ``2`` Beijing's non-cluster firms) in exact,
    stratified numbers per block; ``cell_revenue`` (cells × years, yuan) and
    ``cell_employment`` (persons, NaN = not calibrated) are the cells' targets.
    """

    seed: int
    n_firms: int
    years: list[int]
    n_core: int
    plan_id: str
    cluster_targets: pd.DataFrame
    tag_targets: pd.DataFrame
    tag_scale: float
    classes: pd.DataFrame
    segment_classes: list[np.ndarray]
    rest_bj_classes: np.ndarray
    rest_bj_weight: np.ndarray
    phrase_pool: np.ndarray
    class_phrases: np.ndarray
    class_phrase_cum: np.ndarray
    class_phrase_count: np.ndarray
    regions: U.RegionUniverse
    cell_region: np.ndarray
    cell_group: np.ndarray
    cell_weight: np.ndarray
    cell_count: np.ndarray
    cell_revenue: np.ndarray
    cell_employment: np.ndarray
    beijing_revenue: np.ndarray
    class_cum: dict[tuple[int, int], np.ndarray]
    core_revenue: np.ndarray | None = None
    region_codes: np.ndarray = field(init=False)
    region_bytes: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        codes = np.concatenate([np.asarray(U.BEIJING_DISTRICTS), self.regions.codes])
        self.region_codes = codes
        self.region_bytes = np.frombuffer("".join(codes).encode("ascii"), np.uint8).reshape(-1, 6)


def _peak_tags(years: list[int]) -> int:
    """Most tagged firms (unicorns + 专精特新 + 单项冠军; 小巨人 are 专精特新) in one year."""
    tags = tag_targets(years)
    tags = tags[tags["tag"] != "little_giant"]
    per_year = tags.groupby("year")["count"].sum()
    return int(per_year.max()) if len(per_year) else 0


def min_firms(years: list[int]) -> int:
    """The smallest registry that carries the real (unscaled) tag counts of ``years``;
    smaller registries work too, with the counts scaled down (:func:`tag_scale`)."""
    return max(1, math.ceil(_peak_tags(years) / MAX_TAGGED_SHARE / CORE_SHARE))


def core_size(n_firms: int) -> int:
    """Core (Beijing cluster) firms of a registry of ``n_firms`` (at least one, at most
    :data:`CORE_MAX`)."""
    return min(n_firms, CORE_MAX, max(1, round(CORE_SHARE * n_firms)))


def tag_scale(n_firms: int, years: list[int]) -> float:
    """Factor (0–1] applied to the real tag counts so that tagged firms fit the core."""
    peak = _peak_tags(years)
    if peak == 0:
        return 1.0
    return min(1.0, MAX_TAGGED_SHARE * core_size(n_firms) / peak)


def _largest_remainder(n: int, weight: np.ndarray) -> np.ndarray:
    """Integer counts summing to ``n`` proportional to ``weight`` (largest remainders)."""
    raw = n * weight
    base = np.floor(raw).astype(np.int64)
    short = n - int(base.sum())
    if short > 0:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:short]] += 1
    return base


def _phrase_catalogue(
    plan: object, classes: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keyword phrases (segments' and chain nodes') and, per class, the phrases that apply
    to it (their nodes' ``keyword_codes`` or codes): padded index matrix, cumulative choice
    probabilities and counts. A phrase is chosen with weight 1 / (firm weight of the classes
    it applies to), so narrow phrases (汽车检测 in division 74) get as many firms nationally
    as broad ones."""
    entries: dict[str, np.ndarray] = {}
    as_str = classes.astype(str)

    def allowed(prefixes: tuple[str, ...] | list[str]) -> np.ndarray:
        keep = np.zeros(len(classes), bool)
        for pfx in prefixes:
            keep |= np.char.startswith(as_str, pfx)
        return keep

    for seg in SEGMENTS:
        mask = allowed(seg.prefixes)
        for phrase in seg.phrases:
            entries[phrase] = entries.get(phrase, np.zeros(len(classes), bool)) | mask
    for chain in getattr(plan, "chains", []) or []:
        for node in chain.nodes:
            scope = tuple(node.keyword_codes or node.codes or ())
            if not node.keywords or not scope:
                continue
            mask = allowed(scope)
            for phrase in node.keywords:
                if len(phrase) >= 2:
                    entries[phrase] = entries.get(phrase, np.zeros(len(classes), bool)) | mask
    pool = np.asarray(sorted(entries))
    applies = (
        np.stack([entries[p] for p in pool], axis=1)
        if len(pool)
        else np.zeros((len(classes), 0), bool)
    )
    counts = applies.sum(axis=1)
    mass = weight @ applies if len(pool) else np.zeros(0)
    phrase_weight = np.divide(1.0, mass, out=np.zeros(len(pool)), where=mass > 0)
    width = max(1, int(counts.max()) if len(counts) else 1)
    table = np.zeros((len(classes), width), np.int64)
    cum = np.ones((len(classes), width))
    for k in np.nonzero(counts)[0]:
        idx = np.nonzero(applies[k])[0]
        table[k, : len(idx)] = idx
        w = np.cumsum(phrase_weight[idx])
        cum[k, : len(idx)] = w / w[-1]
    return pool, table, cum, counts


def build_context(
    n_firms: int, seed: int, years: list[int], plan_id: str = DEFAULT_PLAN
) -> Context:
    """Validate the request and prepare the reference distributions and the national cells."""
    from clusteratlas.model.plan import load_plan
    from clusteratlas.synth.national import province_targets

    if not years:
        raise ClusterAtlasError("synth: --years is empty")
    if min(years) < 1990 or max(years) > 2035:
        raise ClusterAtlasError(
            f"synth: years must lie in 1990–2035, got {min(years)}–{max(years)}"
        )
    if n_firms < 1:
        raise ClusterAtlasError(f"synth: --firms must be at least 1, got {n_firms}")
    if seed < 0:
        raise ClusterAtlasError("synth: --seed must be ≥ 0")
    years = sorted(years)
    plan = load_plan(plan_id)
    n_core = core_size(n_firms)
    scale = tag_scale(n_firms, years)
    tags = tag_targets(years)
    if scale < 1.0:
        tags = tags.assign(count=np.floor(tags["count"] * scale + 0.5).astype("int64"))

    ind = U.industry_universe().frame
    classes = ind["code"].to_numpy()
    seg_classes = [_expand(s.prefixes, s.exclude, classes) for s in SEGMENTS]
    for seg, idx in zip(SEGMENTS, seg_classes, strict=True):
        if len(idx) == 0:
            raise ClusterAtlasError(f"synth: segment {seg.id} matches no GB/T 4754 class")
    # Beijing remainder: classes no cluster code reaches and whose name holds no keyword
    cluster_prefixes = tuple(p for c in plan.clusters for p in c.codes)
    keywords = sorted({k for c in plan.clusters for k in c.keywords})
    pattern = U.keyword_pattern(keywords)
    in_cluster = np.zeros(len(classes), bool)
    for p in cluster_prefixes:
        in_cluster |= np.char.startswith(classes.astype(str), p)
    named = ind["name_zh"].map(lambda s: bool(pattern.search(str(s)))).to_numpy(bool)
    rest_idx = np.nonzero(~in_cluster & ~named)[0]
    services = ~ind["manufacturing"].to_numpy(bool)
    tilt = np.where(services, 3.0, 0.3)  # ASSUMPTION: Beijing's economy is services-heavy
    w_rest = ind["weight"].to_numpy() * tilt
    w_rest = w_rest[rest_idx] / w_rest[rest_idx].sum()
    pool, class_phrases, phrase_cum, phrase_count = _phrase_catalogue(
        plan, classes, ind["weight"].to_numpy()
    )
    _check_pools(tuple(keywords))

    # --- national cells: Beijing districts (non-cluster firms) and every other region × group
    regions = U.region_universe(tuple(years))
    targets = province_targets(years).set_index(["region", "year"])
    n_bj = len(U.BEIJING_DISTRICTS)
    prov_share = regions.weight  # over non-Beijing regions
    last = max(years)
    gdp_last = targets.xs(last, level="year")["gdp"].to_dict()
    bj_gdp_share = float(gdp_last["110000"]) / float(sum(gdp_last.values()))
    ht_share = targets.xs(last, level="year")["high_tech_share"]
    prof = np.asarray(U.DISTRICT_PROFILES["general"])
    prof = prof / prof.sum()
    cell_region = [*range(n_bj)]
    cell_group = [2] * n_bj
    cell_weight = list(bj_gdp_share * prof)
    for k, prov in enumerate(regions.province):
        s_ht = float(ht_share.get(prov, 0.0))
        for group, part in ((0, 1.0 - s_ht), (1, s_ht)):
            cell_region.append(n_bj + k)
            cell_group.append(group)
            cell_weight.append((1.0 - bj_gdp_share) * prov_share[k] * part)
    weight = np.asarray(cell_weight)
    weight = weight / weight.sum()
    region_arr = np.asarray(cell_region)
    group_arr = np.asarray(cell_group)
    # exact totals of the stratified per-block counts
    n_rest = n_firms - n_core
    full, tail = divmod(n_rest, BLOCK)
    count = full * _largest_remainder(BLOCK, weight) + _largest_remainder(tail, weight)
    # revenue and employment targets per cell × year (yuan, persons)
    n_years = len(years)
    revenue = np.zeros((len(weight), n_years))
    employment = np.full((len(weight), n_years), np.nan)
    revenue_by = targets["revenue"].to_dict()
    bj_revenue = np.asarray([float(revenue_by[("110000", y)]) for y in years])
    prov_of_region = np.concatenate([np.full(n_bj, "110000"), regions.province])
    region_weight_in_prov = np.concatenate([prof, regions.weight])
    sums = pd.Series(region_weight_in_prov[n_bj:]).groupby(regions.province).sum()
    for c in range(len(weight)):
        r = region_arr[c]
        prov = prov_of_region[r]
        if group_arr[c] == 2:
            revenue[c] = prof[r]  # share of Beijing's non-cluster target, set with the core
            continue
        part = region_weight_in_prov[r] / float(sums[prov])
        rows = targets.loc[[(prov, y) for y in years]]
        total = rows["revenue"].to_numpy()
        high = rows["high_tech_revenue"].to_numpy()
        revenue[c] = part * (high if group_arr[c] == 1 else total - high)
        share = weight[c] / (weight[(prov_of_region[region_arr] == prov)].sum())
        employment[c] = share * rows["employment"].to_numpy()
    # class distribution per (region, group): national IO weights × a seeded province ×
    # division tilt; high-tech cells draw high-tech manufacturing classes only
    high_tech = ind["code"].isin(_high_tech_classes()).to_numpy(bool)
    division = ind["division"].to_numpy()
    divisions = np.unique(division)
    div_idx = np.searchsorted(divisions, division)
    tilt_rng = np.random.default_rng(np.random.SeedSequence([seed, 5]))
    provinces = sorted(set(regions.province))
    tilts = {
        p: np.exp(TILT_SIGMA * tilt_rng.standard_normal(len(divisions)))[div_idx] for p in provinces
    }
    base_w = ind["weight"].to_numpy()
    class_cum: dict[tuple[int, int], np.ndarray] = {}
    for c in range(len(weight)):
        if group_arr[c] == 2:
            continue
        prov = prov_of_region[region_arr[c]]
        w = base_w * tilts[prov] * (high_tech if group_arr[c] == 1 else ~high_tech)
        cum = np.cumsum(w)
        class_cum[(int(region_arr[c]), int(group_arr[c]))] = cum / cum[-1]
    return Context(
        seed=seed,
        n_firms=n_firms,
        years=years,
        n_core=n_core,
        plan_id=plan_id,
        cluster_targets=cluster_targets(years),
        tag_targets=tags,
        tag_scale=scale,
        classes=ind,
        segment_classes=seg_classes,
        rest_bj_classes=rest_idx,
        rest_bj_weight=w_rest,
        phrase_pool=pool,
        class_phrases=class_phrases,
        class_phrase_cum=phrase_cum,
        class_phrase_count=phrase_count,
        regions=regions,
        cell_region=region_arr,
        cell_group=group_arr,
        cell_weight=weight,
        cell_count=count,
        cell_revenue=revenue,
        cell_employment=employment,
        beijing_revenue=bj_revenue,
        class_cum=class_cum,
    )


@lru_cache(maxsize=1)
def _high_tech_classes() -> frozenset[str]:
    """GB/T 4754 classes of NBS high-tech manufacturing (2017), packaged concordance."""
    from clusteratlas import refdata

    return frozenset(refdata.high_tech_manufacturing()["gbt4754_class"].astype(str))


@lru_cache(maxsize=4)
def _check_pools(keywords: tuple[str, ...]) -> None:
    """Prove that generic names and scopes cannot contain a cluster keyword.

    A name is province + char + char + trade word; a keyword (≥ 2 characters) inside it either
    lies within one part or contains a bigram across a part boundary — so checking every part
    and every boundary bigram against the keywords' bigrams is exhaustive (and conservative).
    Scope phrases are joined by ``；``/``。``, which no keyword contains.
    """
    pattern = U.keyword_pattern(list(keywords))
    trades = sorted({w for ws in U.TRADE_WORDS.values() for w in ws})
    parts = [*U.GENERIC_SCOPE, *trades, *U.PROVINCE_SHORT.values()]
    for text in parts:
        if pattern.search(text):
            raise ClusterAtlasError(f"synth: generic text {text!r} contains a cluster keyword")
    if any(len(k) < 2 for k in keywords):
        raise ClusterAtlasError("synth: one-character keywords cannot be kept out of names")
    key_bigrams = {k[i : i + 2] for k in keywords for i in range(len(k) - 1)}
    chars = U.NAME_CHARS
    boundary = (
        {p[-1] + a for p in U.PROVINCE_SHORT.values() for a in chars}
        | {a + b for a in chars for b in chars}
        | {b + t[0] for b in chars for t in trades}
    )
    clash = sorted(key_bigrams & boundary)
    if clash:
        raise ClusterAtlasError(f"synth: name pieces can form keyword fragments {clash}")


# --- helpers ------------------------------------------------------------------------------------


def _ascii_strings(chars: np.ndarray) -> pa.Array:
    """(n, w) uint8 ASCII matrix → Arrow string array (zero-copy)."""
    n, w = chars.shape
    data = pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    offsets = pa.py_buffer(np.arange(0, (n + 1) * w, w, dtype=np.int32).tobytes())
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, data])


def firm_ids(index: np.ndarray) -> pa.Array:
    """``SYN`` + 9-digit index."""
    digits = (index[:, None] // (10 ** np.arange(8, -1, -1))) % 10
    chars = np.empty((len(index), 12), np.uint8)
    chars[:, :3] = np.frombuffer(b"SYN", np.uint8)
    chars[:, 3:] = 48 + digits
    return _ascii_strings(chars)


_CHARSET_BYTES = np.frombuffer(CHARSET.encode(), np.uint8)
_VALUE = np.full(256, -1, np.int64)
_VALUE[_CHARSET_BYTES] = np.arange(31)


def uscc_codes(index: np.ndarray, region6: np.ndarray, seed: int) -> pa.Array:
    """Valid GB 32100-2015 codes: ``91`` (enterprise) + region + a unique organisation code
    (GB 11714 check character) + the check character. The organisation body is an affine
    bijection of the firm index modulo 31^8, so codes are unique within a registry."""
    m = 31**8
    body = (7919 * index.astype(np.int64) + (seed * 104729 + 12345) % m) % m
    digits = (body[:, None] // (31 ** np.arange(7, -1, -1, dtype=np.int64))) % 31
    chars = np.empty((len(index), 18), np.uint8)
    chars[:, 0] = ord("9")
    chars[:, 1] = ord("1")
    chars[:, 2:8] = region6
    chars[:, 8:16] = _CHARSET_BYTES[digits]
    org = chars[:, 8:16].astype(np.int64)
    org_val = np.where(org <= 57, org - 48, org - 55)
    check = 11 - (org_val * np.asarray(ORG_WEIGHTS)).sum(axis=1) % 11
    chars[:, 16] = np.where(check == 10, ord("X"), np.where(check == 11, ord("0"), 48 + check))
    vals = _VALUE[chars[:, :17]]
    main = (31 - (vals * np.asarray(WEIGHTS)).sum(axis=1) % 31) % 31
    chars[:, 17] = _CHARSET_BYTES[main]
    return _ascii_strings(chars)


def _take(pool: list[str] | tuple[str, ...] | np.ndarray, idx: np.ndarray) -> pa.Array:
    return pa.array(list(pool), pa.string()).take(pa.array(idx, pa.int64()))


@dataclass
class _Draw:
    """Firm attributes of a population (arrays of length n)."""

    index: np.ndarray
    region: np.ndarray  # index into ctx.region_codes
    cls: np.ndarray  # index into ctx.classes
    segment: np.ndarray  # segment index or -1
    founded_year: np.ndarray
    founded_doy: np.ndarray
    exit_year: np.ndarray
    z: np.ndarray  # log revenue level (yuan, 2020 basis)
    growth: np.ndarray
    listed: np.ndarray
    vc: np.ndarray
    phrase: np.ndarray  # index into ctx.phrase_pool or -1
    phrase_in_name: np.ndarray
    province_short: np.ndarray
    trade_kind: np.ndarray


_TRADE_KINDS = tuple(U.TRADE_WORDS)


def _draw_core(ctx: Context, rng: np.random.Generator) -> _Draw:
    n = ctx.n_core
    weights = np.array([s.weight for s in SEGMENTS])
    seg = rng.choice(len(SEGMENTS), size=n, p=weights / weights.sum())
    cls = np.empty(n, np.int64)
    region = np.empty(n, np.int64)
    phrase = np.full(n, -1, np.int64)
    mu = np.empty(n)
    vc_share = np.empty(n)
    trade_kind = np.empty(n, np.int64)
    phrase_lookup = {p: i for i, p in enumerate(ctx.phrase_pool)}
    u_kw = rng.random(n)
    for k, s in enumerate(SEGMENTS):
        members = np.nonzero(seg == k)[0]
        m = len(members)
        pool = ctx.segment_classes[k]
        cls[members] = pool[rng.integers(0, len(pool), m)]
        prof = np.asarray(U.DISTRICT_PROFILES[s.profile])
        region[members] = rng.choice(len(U.BEIJING_DISTRICTS), size=m, p=prof / prof.sum())
        if s.phrases:
            chosen = np.array([phrase_lookup[p] for p in s.phrases])[
                rng.integers(0, len(s.phrases), m)
            ]
            phrase[members] = np.where(u_kw[members] < s.kw_share, chosen, -1)
        mu[members] = s.mu
        vc_share[members] = s.vc_share
        trade_kind[members] = _TRADE_KINDS.index(s.trade)
    return _common(
        ctx,
        rng,
        np.arange(n, dtype=np.int64),
        region,
        cls,
        seg,
        phrase,
        mu,
        vc_share,
        trade_kind,
        core=True,
    )


def _draw_block(ctx: Context, block: int) -> tuple[_Draw, np.ndarray]:
    """Firms of remainder block ``block`` and the cell of each (stratified exact counts)."""
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 2, block]))
    start = ctx.n_core + block * BLOCK
    n = min(BLOCK, ctx.n_firms - start)
    index = np.arange(start, start + n, dtype=np.int64)
    counts = _largest_remainder(n, ctx.cell_weight)
    cell = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    region = ctx.cell_region[cell]
    group = ctx.cell_group[cell]
    in_bj = group == 2
    cls = np.empty(n, np.int64)
    bj = np.nonzero(in_bj)[0]
    cls[bj] = ctx.rest_bj_classes[
        rng.choice(len(ctx.rest_bj_classes), size=len(bj), p=ctx.rest_bj_weight)
    ]
    u = rng.random(n)
    for key, cum in ctx.class_cum.items():
        members = np.nonzero((region == key[0]) & (group == key[1]))[0]
        if len(members):
            cls[members] = np.minimum(np.searchsorted(cum, u[members]), len(cum) - 1)
    # keyword phrases outside Beijing: one of the phrases that apply to the firm's class
    n_applicable = ctx.class_phrase_count[cls]
    with_phrase = ~in_bj & (n_applicable > 0) & (rng.random(n) < PHRASE_SHARE)
    u_phrase = rng.random(n)
    pick = np.minimum(
        (ctx.class_phrase_cum[cls] < u_phrase[:, None]).sum(axis=1), ctx.class_phrases.shape[1] - 1
    )
    phrase = np.where(with_phrase, ctx.class_phrases[cls, pick], -1)
    mu = np.full(n, 15.4)  # raw size before the cell calibration (ASSUMPTION)
    tech = ctx.classes["division"].isin(_TECH_DIVISIONS).to_numpy(bool)[cls]
    vc_share = np.where(tech, 0.03, 0.005)
    manufacturing = ctx.classes["manufacturing"].to_numpy(bool)[cls]
    section = ctx.classes["section"].to_numpy()[cls]
    trade_kind = np.where(
        manufacturing,
        _TRADE_KINDS.index("manufacturing"),
        np.where(
            np.isin(section, ["I"]),
            _TRADE_KINDS.index("ict"),
            np.where(
                np.isin(section, ["M"]),
                _TRADE_KINDS.index("scitech"),
                _TRADE_KINDS.index("general"),
            ),
        ),
    )
    draw = _common(
        ctx, rng, index, region, cls, np.full(n, -1), phrase, mu, vc_share, trade_kind, core=False
    )
    return draw, cell


def _common(
    ctx: Context,
    rng: np.random.Generator,
    index: np.ndarray,
    region: np.ndarray,
    cls: np.ndarray,
    seg: np.ndarray,
    phrase: np.ndarray,
    mu: np.ndarray,
    vc_share: np.ndarray,
    trade_kind: np.ndarray,
    *,
    core: bool,
) -> _Draw:
    n = len(index)
    last = max(ctx.years)
    age = np.floor(rng.exponential(9.0, n)).astype(np.int64)
    founded = np.maximum(last - age, 1978)
    doy = rng.integers(0, 365, n)
    sigma = 1.8 if core else 1.7
    z = mu + sigma * rng.standard_normal(n)
    hazard = (0.03 if core else 0.06) * np.exp(-0.25 * (z - mu))
    life = np.ceil(rng.exponential(1.0 / np.clip(hazard, 0.005, 0.5)))
    exit_year = founded + life.astype(np.int64)
    growth = rng.normal(0.06 if core else 0.04, 0.06, n)
    u_list = rng.random(n)
    listed = ((z > mu + 2.3 * sigma) & (u_list < 0.85)) | (u_list < 0.003)
    listed &= founded <= last - 3
    vc = (rng.random(n) < vc_share) & ~listed & (age <= 15)
    in_name = rng.random(n) < 0.5
    prov = np.asarray([c[:2] + "0000" for c in ctx.region_codes])[region]
    province_short = np.asarray([U.PROVINCE_SHORT.get(p, "中") for p in sorted(set(prov))])
    prov_idx = np.searchsorted(np.asarray(sorted(set(prov))), prov)
    return _Draw(
        index,
        region,
        cls,
        seg,
        founded,
        doy,
        exit_year,
        z,
        growth,
        listed,
        vc,
        phrase,
        in_name & (phrase >= 0),
        province_short[prov_idx],
        trade_kind,
    )


def _revenue(ctx: Context, d: _Draw, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Raw revenue (n × T, yuan) with an AR(1) firm deviation, and the active mask."""
    years = np.asarray(ctx.years)
    n, t = len(d.index), len(years)
    active = (d.founded_year[:, None] <= years[None, :]) & (d.exit_year[:, None] >= years[None, :])
    dev = np.zeros(n)
    logrev = np.empty((n, t))
    # burn-in so the AR(1) deviation is stationary at the first year
    dev = rng.normal(0, 0.12 / math.sqrt(1 - 0.7**2), n)
    for j, year in enumerate(years):
        dev = 0.7 * dev + rng.normal(0, 0.12, n)
        age = year - d.founded_year
        ramp = -1.5 * np.clip(5 - age, 0, 5) / 5
        logrev[:, j] = d.z + d.growth * (year - 2020) + dev + ramp
    return np.where(active, np.exp(logrev), 0.0), active


def _firm_frame(ctx: Context, d: _Draw) -> pa.Table:
    n = len(d.index)
    ids = firm_ids(d.index)
    region6 = ctx.region_bytes[d.region]
    uscc = uscc_codes(d.index, region6, ctx.seed)
    rng_names = np.random.default_rng(
        np.random.SeedSequence([ctx.seed, 3, int(d.index[0]) if n else 0])
    )
    c1 = rng_names.integers(0, len(U.NAME_CHARS), n)
    c2 = rng_names.integers(0, len(U.NAME_CHARS), n)
    trade_idx = rng_names.integers(0, 1 << 30, n)
    trade_words: list[str] = []
    trade_off = []
    for kind in _TRADE_KINDS:
        trade_off.append(len(trade_words))
        trade_words.extend(U.TRADE_WORDS[kind])
    trade_len = np.asarray([len(U.TRADE_WORDS[k]) for k in _TRADE_KINDS])
    trade = np.asarray(trade_off)[d.trade_kind] + trade_idx % trade_len[d.trade_kind]
    phrase_or_empty = np.concatenate([ctx.phrase_pool, [""]])
    ph = np.where(d.phrase >= 0, d.phrase, len(ctx.phrase_pool))
    name_mid = np.where(d.phrase_in_name, ph, len(ctx.phrase_pool))
    suffix = np.where(d.listed, 1, 0)
    names = pc.binary_join_element_wise(
        pa.array(d.province_short, pa.string()),
        _take(U.NAME_CHARS, c1),
        _take(U.NAME_CHARS, c2),
        _take(phrase_or_empty, name_mid),
        _take(trade_words, trade),
        _take(("有限公司", "股份有限公司"), suffix),
        "",
    )
    g1 = rng_names.integers(0, len(U.GENERIC_SCOPE), n)
    g2 = (g1 + 1 + rng_names.integers(0, len(U.GENERIC_SCOPE) - 1, n)) % len(U.GENERIC_SCOPE)
    phrase_scope = pc.binary_join_element_wise(
        _take(phrase_or_empty, ph),
        _take(["", "技术开发、技术服务；"], (d.phrase >= 0).astype(int)),
        "",
    )
    class_names = ctx.classes["name_zh"].to_numpy()
    scope = pc.binary_join_element_wise(
        phrase_scope,
        _take(class_names, d.cls),
        pa.scalar("；"),
        _take(U.GENERIC_SCOPE, g1),
        pa.scalar("；"),
        _take(U.GENERIC_SCOPE, g2),
        pa.scalar("。"),
        "",
    )
    founded = (d.founded_year - 1970).astype("datetime64[Y]").astype(
        "datetime64[D]"
    ) + d.founded_doy.astype("timedelta64[D]")
    last = max(ctx.years)
    status = np.where(d.exit_year < last, 1, 0)
    codes = ctx.region_codes[d.region]
    return pa.table(
        {
            "firm_id": ids,
            "uscc": uscc,
            "name": names,
            "region": pa.array(codes, pa.string()),
            "industry": pa.array(ctx.classes["code"].to_numpy()[d.cls], pa.string()),
            "founded": pa.array(founded, pa.date32()),
            "status": _take(("active", "deregistered"), status),
            "listed": pa.array(d.listed, pa.bool_()),
            "scope": scope,
            "synthetic": pa.array(np.ones(n, bool), pa.bool_()),
        }
    )


_FIRM_YEAR = TABLES["firm_year"]
FIRM_YEAR_COLUMNS: dict[str, str] = {
    "firm_id": "firm_id",
    "year": "year",
    **{m: f"{m}({_FIRM_YEAR.column(m).unit})" for m in FIRM_YEAR_MEASURES},
    **{c.name: c.name for c in LADDER_ATTRIBUTES},
    "synthetic": "synthetic",
}
"""Canonical firm_year column → header written (units in brackets, as the ingest reads them)."""


@dataclass
class _Measures:
    revenue: np.ndarray
    active: np.ndarray
    employees: np.ndarray
    valuation: np.ndarray


def _measures(
    ctx: Context, d: _Draw, rev: np.ndarray, active: np.ndarray, rng: np.random.Generator
) -> _Measures:
    n, t = rev.shape
    cls = ctx.classes
    rpw = cls["rev_per_worker"].to_numpy()[d.cls]
    emp = np.where(
        active, np.maximum(1, np.rint(rev / rpw[:, None] * np.exp(rng.normal(0, 0.35, (n, t))))), 0
    )
    years = np.asarray(ctx.years)
    age = years[None, :] - d.founded_year[:, None]
    mult = np.exp(rng.normal(math.log(8.0), 0.6, n))[:, None] * np.exp(-0.05 * np.clip(age, 0, 20))
    valuation = np.where(active & d.vc[:, None], rev * mult * USD_PER_YUAN, np.nan)
    valuation = np.minimum(valuation, 0.95 * UNICORN_USD)  # unicorns are set by the tags
    return _Measures(rev, active, emp.astype(np.int64), valuation)


@dataclass
class _Certified:
    """Firms certified in some year (专精特新 ``zjtx``, 小巨人 ``giant``) and the
    certification attributes they carry (n × T arrays; NaN = unknown)."""

    zjtx: np.ndarray
    giant: np.ndarray
    main_share: np.ndarray
    attributes: dict[str, np.ndarray]


LADDER_NUMERIC = (
    "ip_level",
    "ip_class1_count",
    "rd_institution_level",
    "digital_level",
    "quality_items",
    "local_feature_points",
    "product_field_level",
)
LADDER_FLAGS = (
    "honours",
    "strategic_emerging",
    "info_system",
    "mgmt_certified",
    "own_brand",
    "chain_key_link",
    "priority_field",
)
MISSING_SHARE = 0.08
"""ASSUMPTION: share of certified firms with one certification attribute unknown (NULL)."""


def _firm_year_table(
    ctx: Context,
    d: _Draw,
    m: _Measures,
    rng: np.random.Generator,
    cert: _Certified | None = None,
) -> tuple[pa.Table, np.ndarray]:
    n, t = m.revenue.shape
    cls = ctx.classes
    rd_int = cls["rd_intensity"].to_numpy()[d.cls][:, None] * np.exp(rng.normal(0, 0.5, (n, t)))
    rd_int = np.minimum(rd_int * np.where(d.segment >= 0, 1.5, 1.0)[:, None], 0.6)
    va_ratio = np.clip(
        cls["va_ratio"].to_numpy()[d.cls][:, None] * np.exp(rng.normal(0, 0.1, (n, t))), 0.05, 0.95
    )
    exp_share = cls["export_share"].to_numpy()[d.cls]
    exporter = rng.random(n) < np.where(exp_share > 0.05, 0.4, 0.1)
    main_share = rng.uniform(0.85, 1.0, (n, t))
    rev = m.revenue
    staff_share = np.minimum(0.9, rd_int * 4)
    debt = rng.beta(5.5, 4.5, (n, t))
    margin = np.clip(rng.normal(0.05, 0.08, (n, t)), -0.5, 0.5)
    years = np.asarray(ctx.years)
    market = cls["market_size"].to_numpy()[d.cls][:, None] * 1.05 ** (years[None, :] - 2020)
    share = np.minimum(1.0, rev / market)
    if cert is not None:  # certified firms carry what their certification checked
        z = cert.zjtx[:, None]
        rd_int = np.where(z, rng.uniform(0.06, 0.15, (n, t)), rd_int)
        staff_share = np.where(z, rng.uniform(0.15, 0.45, (n, t)), staff_share)
        debt = np.where(z, rng.uniform(0.2, 0.5, (n, t)), debt)
        margin = np.where(z, rng.uniform(0.05, 0.16, (n, t)), margin)
        main_share = np.where(z, cert.main_share[:, None], main_share)
        share = np.where(cert.giant[:, None], rng.uniform(0.1, 0.35, (n, t)), share)
    rd = rev * rd_int
    rd_staff = np.where(m.active, np.rint(m.employees * staff_share), 0)
    new_pat = rng.poisson(
        np.where(
            m.active,
            rd / 3e6 * np.where(cls["manufacturing"].to_numpy(bool)[d.cls], 1.0, 0.5)[:, None],
            0.0,
        )
    )
    patents = np.cumsum(new_pat, axis=1)
    rounds = m.active & d.vc[:, None] & (rng.random((n, t)) < 0.3)
    equity = np.where(rounds, rev * np.exp(rng.normal(0.5, 0.8, (n, t))), 0.0)
    exports = np.where(
        exporter[:, None], rev * exp_share[:, None] * rng.uniform(0.3, 1.7, (n, t)), 0.0
    )
    fi, fj = np.nonzero(m.active)
    ids = firm_ids(d.index)
    cols = {
        "firm_id": ids.take(pa.array(fi, pa.int64())),
        "year": pa.array(years[fj], pa.int32()),
        "revenue": rev[fi, fj],
        "main_revenue": (rev * main_share)[fi, fj],
        "value_added": (rev * va_ratio)[fi, fj],
        "employees": m.employees[fi, fj],
        "rd_spend": rd[fi, fj],
        "rd_staff": rd_staff[fi, fj].astype(np.int64),
        "invention_patents": patents[fi, fj].astype(np.int64),
        "equity_raised": equity[fi, fj],
        "valuation_usd": m.valuation[fi, fj],
        "debt_ratio": debt[fi, fj],
        "net_margin": margin[fi, fj],
        "exports": exports[fi, fj],
        "market_share": share[fi, fj],
    }
    for name in (*LADDER_NUMERIC, *LADDER_FLAGS):
        values = cert.attributes.get(name) if cert is not None else None
        if values is None:
            cols[name] = pa.nulls(len(fi), pa.bool_() if name in LADDER_FLAGS else pa.float64())
        elif name in LADDER_FLAGS:
            cols[name] = pa.array(values[fi, fj] == 1, pa.bool_(), mask=np.isnan(values[fi, fj]))
        else:
            cols[name] = pa.array(values[fi, fj], pa.float64(), from_pandas=True)
    cols["synthetic"] = np.ones(len(fi), bool)
    arrays = {
        FIRM_YEAR_COLUMNS[k]: (v if isinstance(v, pa.Array) else pa.array(v, from_pandas=True))
        for k, v in cols.items()
    }  # from_pandas: NaN (no valuation) → null
    return pa.table(arrays), fi


# --- calibration -------------------------------------------------------------------------------


def calibrate(
    ctx: Context,
    firms: pa.Table,
    rev: np.ndarray,
    active: np.ndarray,
    membership: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rescale core revenues in place so Beijing cluster totals equal the targets.

    Clusters are taken in :data:`CALIBRATION_ORDER`; each rescales only its firms not yet
    rescaled, by ``(target − already fixed) / free`` per year. A cluster with no free firm
    (tiny registries) stays uncalibrated (``factor`` NaN, ``status`` ``uncalibrated``).
    ``membership``: the firms' ``firm_id, cluster`` (classified here when not given).
    Returns ``cluster, year, factor, fixed, free, target, firms, status``.
    """
    from clusteratlas.model.plan import load_plan

    plan = load_plan(ctx.plan_id)
    if membership is None:
        membership = _membership(ctx, firms)
    pos = pd.Series(np.arange(firms.num_rows), index=firms.column("firm_id").to_numpy())
    targets = ctx.cluster_targets.set_index(["cluster", "year"])["revenue"]
    fixed = np.zeros(firms.num_rows, bool)
    rows = []
    plan_ids = {c.id for c in plan.clusters}
    for cluster in CALIBRATION_ORDER:
        if cluster not in plan_ids:
            continue
        ids = membership.loc[membership["cluster"] == cluster, "firm_id"].to_numpy()
        members = np.zeros(firms.num_rows, bool)
        members[pos.loc[ids].to_numpy()] = True
        free = members & ~fixed
        for j, year in enumerate(ctx.years):
            target = float(targets[(cluster, year)])
            fixed_sum = float(rev[members & fixed, j].sum())
            free_sum = float(rev[free, j].sum())
            ok = free_sum > 0 and target > fixed_sum
            factor = (target - fixed_sum) / free_sum if ok else float("nan")
            if ok:
                rev[free, j] *= factor
            rows.append(
                {
                    "cluster": cluster,
                    "year": year,
                    "factor": factor,
                    "fixed": fixed_sum,
                    "free": free_sum,
                    "target": target,
                    "firms": int(members.sum()),
                    "status": "calibrated" if ok else "uncalibrated",
                }
            )
        fixed |= members
    return pd.DataFrame(rows)


def _membership(ctx: Context, firms: pa.Table) -> pd.DataFrame:
    """``firm_id, cluster`` of the firms under the plan's classification rules."""
    from clusteratlas.classify import classify_firms
    from clusteratlas.model.plan import load_plan

    frame = firms.select(["firm_id", "industry", "name", "scope"]).to_pandas().astype("string")
    membership = classify_firms(frame, load_plan(ctx.plan_id))
    assert isinstance(membership, pd.DataFrame)
    return membership


def calibrate_value_added(
    ctx: Context,
    firms: pa.Table,
    firm_years: pa.Table,
    fy_pos: np.ndarray,
    membership: pd.DataFrame | None = None,
) -> tuple[pa.Table, pd.DataFrame]:
    """Scale the value added of the plan's high-end aggregate (the cluster whose
    ``observed: {share_gdp: …}`` is :data:`HIGH_END_SHARE_INDICATOR`, 高精尖 ``high_end`` in
    beijing-2441) so that its Beijing value added ÷ GDP equals the published share each year
    (:func:`clusteratlas.synth.targets.value_added_targets`): one factor per year multiplies
    the value added of every member firm-year (each firm's value-added ratio keeps its draw
    and its cluster's IO-2020 ratio relative to the others). A year without a target (no GDP
    fact) takes the factor of the nearest year that has one. Revenue and every other column
    are unchanged. ``membership`` as in :func:`calibrate`. Returns the table (value added in
    yuan) and ``cluster, year, factor, target, firms, status`` (target in yuan).
    """
    from clusteratlas.model.plan import load_plan

    plan = load_plan(ctx.plan_id)
    aggregates = [
        c.id for c in plan.clusters if c.observed.get("share_gdp") == HIGH_END_SHARE_INDICATOR
    ]
    targets = value_added_targets(ctx.years).set_index("year")["value_added"]
    years = np.asarray(ctx.years)
    fy_year = np.searchsorted(years, firm_years.column("year").to_numpy())
    va = firm_years.column(FIRM_YEAR_COLUMNS["value_added"]).to_numpy(zero_copy_only=False)
    if aggregates and membership is None:
        membership = _membership(ctx, firms)
    ids = firms.column("firm_id").to_numpy(zero_copy_only=False)
    scale = np.ones(len(va))
    rows = []
    for cluster in aggregates:
        assert membership is not None
        member = np.isin(ids, membership.loc[membership["cluster"] == cluster, "firm_id"])
        row_member = member[fy_pos]
        sums = np.bincount(fy_year[row_member], weights=va[row_member], minlength=len(years))
        want = targets.reindex(ctx.years).to_numpy(float)
        ok = np.isfinite(want) & (sums > 0)
        factor = np.where(ok, want / np.where(sums > 0, sums, 1.0), np.nan)
        if ok.any():  # years without a target hold the nearest calibrated year's factor
            have = np.nonzero(ok)[0]
            nearest = have[np.abs(np.arange(len(years))[:, None] - have[None, :]).argmin(axis=1)]
            factor = np.where(ok, factor, factor[nearest])
        else:
            factor = np.ones(len(years))
        scale = np.where(row_member, factor[fy_year], scale)
        rows += [
            {
                "cluster": cluster,
                "year": int(year),
                "factor": float(factor[j]),
                "target": float(want[j]),
                "firms": int(member.sum()),
                "status": "calibrated" if ok[j] else ("held" if ok.any() else "uncalibrated"),
            }
            for j, year in enumerate(years)
        ]
    column = firm_years.schema.get_field_index(FIRM_YEAR_COLUMNS["value_added"])
    scaled = firm_years.set_column(
        column, FIRM_YEAR_COLUMNS["value_added"], pa.array(va * scale, pa.float64())
    )
    return scaled, pd.DataFrame(
        rows, columns=["cluster", "year", "factor", "target", "firms", "status"]
    )


def _scale_cells(
    ctx: Context, cell: np.ndarray, values: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Scale ``values`` (n × T) so each cell's block part equals its share of ``target``
    (cells × T): the block's firms of a cell get ``n_block / n_total`` of the cell's target.
    Cells with a NaN target are left as they are."""
    n_cells = len(ctx.cell_weight)
    here = np.bincount(cell, minlength=n_cells).astype(float)
    share = np.divide(here, ctx.cell_count, out=np.zeros(n_cells), where=ctx.cell_count > 0)
    out = values.astype(float)
    for j in range(values.shape[1]):
        sums = np.bincount(cell, weights=out[:, j], minlength=n_cells)
        want = target[:, j] * share
        factor = np.where(np.isfinite(want) & (sums > 0), want / np.where(sums > 0, sums, 1.0), 1.0)
        out[:, j] *= factor[cell]
    return out


def core_revenue(ctx: Context) -> np.ndarray:
    """Beijing core firms' revenue per year (yuan), generating the core if needed."""
    if ctx.core_revenue is None:
        generate_core(ctx)
    assert ctx.core_revenue is not None
    return ctx.core_revenue


def cell_revenue_targets(ctx: Context) -> np.ndarray:
    """Revenue targets (cells × years, yuan); Beijing's non-cluster firms get Beijing's
    target minus the core's revenue (at least :data:`BEIJING_REST_FLOOR` of the target)."""
    target = ctx.cell_revenue.copy()
    bj = ctx.cell_group == 2
    rest = np.maximum(
        ctx.beijing_revenue - core_revenue(ctx), BEIJING_REST_FLOOR * ctx.beijing_revenue
    )
    target[bj] = target[bj] * rest[None, :]
    return target


def _rank_pick(score: np.ndarray, eligible: np.ndarray, k: int, fallback: np.ndarray) -> np.ndarray:
    """Boolean mask of the ``k`` best-scored eligible firms (filling from ``fallback``)."""
    chosen = np.zeros(len(score), bool)
    order = np.argsort(-score, kind="stable")
    elig = order[eligible[order]]
    take = elig[:k]
    chosen[take] = True
    if len(take) < k:
        extra = order[(fallback & ~chosen)[order]][: k - len(take)]
        chosen[extra] = True
    return chosen


def _tags(
    ctx: Context, d: _Draw, m: _Measures, rng: np.random.Generator
) -> tuple[pa.Table, np.ndarray, _Certified]:
    """Certified tags per year (exact, possibly scaled counts) and the attributes of the
    certified firms: a firm certified in year t passes the miit-2022 rules of its tier on
    its data of year t − 1 (上年度), except for :data:`MISSING_SHARE` with one unknown."""
    n = len(d.index)
    years = ctx.years
    targets = ctx.tag_targets.set_index(["tag", "year"])["count"]
    s_unicorn = rng.standard_normal(n) + 0.5 * (d.z - d.z.mean()) / (d.z.std() or 1.0)
    s_zjtx = rng.standard_normal(n)
    s_champ = d.z + 0.3 * rng.standard_normal(n)
    manufacturing = ctx.classes["manufacturing"].to_numpy(bool)[d.cls]
    rev = m.revenue
    out_firm: list[np.ndarray] = []
    out_year: list[np.ndarray] = []
    out_tag: list[np.ndarray] = []
    zjtx_ever = np.zeros(n, bool)
    giant_ever = np.zeros(n, bool)
    for j, year in enumerate(years):
        act = m.active[:, j]
        unlisted = act & ~d.listed
        data = max(j - 1, 0)  # the data year (上年度) inside the panel
        champ = _rank_pick(
            s_champ, act & manufacturing, int(targets[("single_champion", year)]), act
        )
        young = (year - d.founded_year) <= 12
        uni = _rank_pick(
            s_unicorn,
            unlisted & d.vc & young & ~champ,
            int(targets[("unicorn", year)]),
            unlisted & ~champ,
        )
        seasoned = (year - 1 - d.founded_year) >= 4
        sized = m.active[:, data] & (rev[:, data] >= 2e7)
        zjtx = _rank_pick(
            s_zjtx,
            unlisted & ~uni & ~champ & seasoned & sized,
            int(targets[("zjtx", year)]),
            unlisted & ~uni & ~champ,
        )
        back = max(data - 2, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            g2 = np.where(
                rev[:, back] > 0,
                (rev[:, data] / rev[:, back]) ** (1 / max(data - back, 1)) - 1,
                d.growth,
            )
        lg = _rank_pick(
            np.nan_to_num(g2, nan=-1.0), zjtx, int(targets[("little_giant", year)]), zjtx
        )
        zjtx_ever |= zjtx
        giant_ever |= lg
        # unicorns are valued at ≥ 1 billion US dollars in the years they hold the tag
        floor = UNICORN_USD * np.exp(np.abs(rng.normal(0, 0.8, n)))
        m.valuation[:, j] = np.where(
            uni, np.maximum(np.nan_to_num(m.valuation[:, j]), floor), m.valuation[:, j]
        )
        for tag, mask in (
            ("unicorn", uni),
            ("zjtx", zjtx),
            ("little_giant", lg),
            ("single_champion", champ),
        ):
            idx = np.nonzero(mask)[0]
            out_firm.append(idx)
            out_year.append(np.full(len(idx), year))
            out_tag.append(np.full(len(idx), tag))
    # SMEs: certified firms stay below every sector's SME employee ceiling (< 200 persons)
    cap = rng.integers(40, 200, n)
    m.employees[:] = np.where(
        zjtx_ever[:, None] & m.active, np.minimum(m.employees, cap[:, None]), m.employees
    )
    cert = _certification(ctx, zjtx_ever, giant_ever, m.active, rng)
    fi = np.concatenate(out_firm) if out_firm else np.zeros(0, np.int64)
    ids = firm_ids(d.index).take(pa.array(fi, pa.int64()))
    table = pa.table(
        {
            "firm_id": ids,
            "year": pa.array(np.concatenate(out_year) if out_year else [], pa.int32()),
            "tag": pa.array(np.concatenate(out_tag) if out_tag else [], pa.string()),
            "source": pa.array(np.full(len(fi), "certified"), pa.string()),
            "synthetic": pa.array(np.ones(len(fi), bool), pa.bool_()),
        }
    )
    return table, fi, cert


def _certification(
    ctx: Context,
    zjtx: np.ndarray,
    giant: np.ndarray,
    active: np.ndarray,
    rng: np.random.Generator,
) -> _Certified:
    """Certification attributes (n × T, NaN unknown): 专精特新 firms hold the levels the
    miit-2022 score and conditions ask for, 小巨人 also the 小巨人 conditions; other firms
    are unknown except a few 高新技术企业 (``honours``)."""
    n = active.shape[0]

    def per_firm(lo: int, hi: int, who: np.ndarray) -> np.ndarray:
        values = rng.integers(lo, hi + 1, n).astype(float)
        return np.where(who, values, np.nan)

    attrs: dict[str, np.ndarray] = {
        "ip_level": per_firm(2, 4, zjtx),
        "ip_class1_count": np.where(
            giant, rng.integers(2, 9, n), np.where(zjtx, rng.integers(0, 4, n), np.nan)
        ),
        "rd_institution_level": per_firm(1, 3, zjtx),
        "digital_level": per_firm(2, 3, zjtx),
        "quality_items": per_firm(1, 4, zjtx),
        "local_feature_points": per_firm(6, 15, zjtx),
        "product_field_level": per_firm(1, 2, zjtx),
        "honours": np.where(zjtx | (rng.random(n) < 0.1), 1.0, np.nan),
        "strategic_emerging": np.where(zjtx, 1.0, np.nan),
    }
    for flag in ("info_system", "mgmt_certified", "own_brand", "chain_key_link", "priority_field"):
        attrs[flag] = np.where(
            giant, 1.0, np.where(zjtx, np.where(rng.random(n) < 0.6, 1.0, 0.0), np.nan)
        )
    # realistic gaps: some certified firms miss one attribute (unknown, not false)
    names = list(attrs)
    gap = zjtx & (rng.random(n) < MISSING_SHARE)
    which = rng.integers(0, len(names), n)
    for k, name in enumerate(names):
        attrs[name] = np.where(gap & (which == k), np.nan, attrs[name])
    grid = {name: np.where(active, v[:, None], np.nan) for name, v in attrs.items()}
    main_share = np.asarray(rng.uniform(0.85, 1.0, n))
    return _Certified(zjtx, giant, main_share, grid)


def generate_core(ctx: Context) -> tuple[_Tables, pd.DataFrame, pd.DataFrame]:
    """The calibrated, tagged Beijing cluster firms, the revenue calibration factors
    (:func:`calibrate`) and the value-added ones (:func:`calibrate_value_added`)."""
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 1]))
    d = _draw_core(ctx, rng)
    firms = _firm_frame(ctx, d)
    rev, active = _revenue(ctx, d, rng)
    membership = _membership(ctx, firms)
    factors = calibrate(ctx, firms, rev, active, membership)
    ctx.core_revenue = rev.sum(axis=0)
    m = _measures(ctx, d, rev, active, rng)
    tags, tag_pos, cert = _tags(ctx, d, m, rng)
    fy, fy_pos = _firm_year_table(ctx, d, m, rng, cert)
    fy, va_factors = calibrate_value_added(ctx, firms, fy, fy_pos, membership)
    return _Tables(firms, fy, fy_pos, tags, tag_pos), factors, va_factors


def generate_block(ctx: Context, block: int) -> _Tables:
    """Remainder block ``block`` (firms ``n_core + block*BLOCK`` …), its revenue and
    employment scaled to its share of every cell's targets."""
    d, cell = _draw_block(ctx, block)
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 4, block]))
    firms = _firm_frame(ctx, d)
    raw, active = _revenue(ctx, d, rng)
    rev = _scale_cells(ctx, cell, raw, cell_revenue_targets(ctx))
    m = _measures(ctx, d, rev, active, rng)
    employees = _scale_cells(ctx, cell, m.employees, ctx.cell_employment)
    m.employees[:] = np.where(active, np.maximum(1, np.rint(employees)), 0).astype(np.int64)
    fy, fy_pos = _firm_year_table(ctx, d, m, rng)
    return _Tables(firms, fy, fy_pos)


def n_blocks(ctx: Context) -> int:
    """Number of remainder blocks."""
    return -(-(ctx.n_firms - ctx.n_core) // BLOCK)


def iter_blocks(ctx: Context, start: int = 0, stop: int | None = None) -> Iterator[_Tables]:
    """Remainder blocks ``start`` … ``stop - 1`` in order."""
    for b in range(start, n_blocks(ctx) if stop is None else stop):
        yield generate_block(ctx, b)
