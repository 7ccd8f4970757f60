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
from clusteratlas.synth import universe as U
from clusteratlas.synth.targets import CALIBRATION_ORDER, cluster_targets, tag_targets

BLOCK = 16384
"""Firms per random-stream block of the remainder (chunks are whole numbers of blocks)."""

CORE_SHARE = 0.016
"""Core (Beijing cluster) firms as a share of all firms (ASSUMPTION: ~35% of Beijing's 4.5%)."""

ACTIVE_SHARE_FLOOR = 0.55
"""Assumed lower bound of the share of core firms active and unlisted in a year (sizes the
minimum core so that the tag counts can be met)."""

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
    """Everything a run needs that does not depend on the chunking (built once per run)."""

    seed: int
    n_firms: int
    years: list[int]
    n_core: int
    p_beijing_rest: float
    plan_id: str
    cluster_targets: pd.DataFrame
    tag_targets: pd.DataFrame
    classes: pd.DataFrame
    segment_classes: list[np.ndarray]
    rest_bj_classes: np.ndarray
    rest_bj_weight: np.ndarray
    all_weight: np.ndarray
    phrase_pool: np.ndarray
    tech_class: np.ndarray
    regions: U.RegionUniverse
    region_codes: np.ndarray = field(init=False)
    region_bytes: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        codes = np.concatenate([np.asarray(U.BEIJING_DISTRICTS), self.regions.codes])
        self.region_codes = codes
        self.region_bytes = np.frombuffer("".join(codes).encode("ascii"), np.uint8).reshape(-1, 6)


def min_firms(years: list[int]) -> int:
    """The smallest registry that can carry the tagged firms the targets ask for in ``years``."""
    tags = tag_targets(years)
    per_year = tags.groupby("year")["count"].sum()
    needed = int(per_year.max()) if len(per_year) else 0
    return max(2000, math.ceil(needed / ACTIVE_SHARE_FLOOR))


def build_context(
    n_firms: int, seed: int, years: list[int], plan_id: str = DEFAULT_PLAN
) -> Context:
    """Validate the request and prepare the reference distributions (InputError-style messages)."""
    from clusteratlas.model.plan import load_plan

    if not years:
        raise ClusterAtlasError("synth: --years is empty")
    if min(years) < 1990 or max(years) > 2035:
        raise ClusterAtlasError(
            f"synth: years must lie in 1990–2035, got {min(years)}–{max(years)}"
        )
    minimum = min_firms(years)
    if n_firms < minimum:
        tags = tag_targets(years)
        peak = tags.groupby("year")["count"].sum()
        raise ClusterAtlasError(
            f"synth: --firms {n_firms} is too small: the calibration puts "
            f"{int(peak.max())} tagged Beijing firms into {peak.idxmax()} "
            f"(unicorns, 专精特新, 小巨人, 单项冠军 are absolute counts, not shares), which needs "
            f"at least {minimum} firms; use --firms {minimum} or more"
        )
    if seed < 0:
        raise ClusterAtlasError("synth: --seed must be ≥ 0")
    plan = load_plan(plan_id)
    n_core = max(minimum, round(CORE_SHARE * n_firms))
    n_core = min(n_core, n_firms)
    beijing_total = U.BEIJING_SHARE / 100 * n_firms
    rest = n_firms - n_core
    p_bj = float(np.clip((beijing_total - n_core) / rest, 0.0, 0.2)) if rest else 0.0

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
    w_all = ind["weight"].to_numpy() / ind["weight"].sum()
    phrases = np.asarray(sorted({p for s in SEGMENTS for p in s.phrases}))
    tech = ind["division"].isin(_TECH_DIVISIONS).to_numpy(bool)
    _check_pools(tuple(keywords))
    return Context(
        seed=seed,
        n_firms=n_firms,
        years=sorted(years),
        n_core=n_core,
        p_beijing_rest=p_bj,
        plan_id=plan_id,
        cluster_targets=cluster_targets(sorted(years)),
        tag_targets=tag_targets(sorted(years)),
        classes=ind,
        segment_classes=seg_classes,
        rest_bj_classes=rest_idx,
        rest_bj_weight=w_rest,
        all_weight=w_all,
        phrase_pool=phrases,
        tech_class=tech,
        regions=U.region_universe(),
    )


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


def _draw_block(ctx: Context, block: int) -> _Draw:
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 2, block]))
    start = ctx.n_core + block * BLOCK
    n = min(BLOCK, ctx.n_firms - start)
    index = np.arange(start, start + n, dtype=np.int64)
    in_bj = rng.random(n) < ctx.p_beijing_rest
    prof = np.asarray(U.DISTRICT_PROFILES["general"])
    bj_region = rng.choice(len(U.BEIJING_DISTRICTS), size=n, p=prof / prof.sum())
    out_region = len(U.BEIJING_DISTRICTS) + rng.choice(
        len(ctx.regions.codes), size=n, p=ctx.regions.weight
    )
    region = np.where(in_bj, bj_region, out_region)
    bj_cls = ctx.rest_bj_classes[rng.choice(len(ctx.rest_bj_classes), size=n, p=ctx.rest_bj_weight)]
    all_cls = rng.choice(len(ctx.classes), size=n, p=ctx.all_weight)
    cls = np.where(in_bj, bj_cls, all_cls)
    tech = ctx.tech_class[cls]
    phrase = np.where(
        ~in_bj & tech & (rng.random(n) < 0.15), rng.integers(0, len(ctx.phrase_pool), n), -1
    )
    mu = np.full(n, 15.4)  # median revenue ≈ 490万元 (ASSUMPTION)
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
    return _common(
        ctx, rng, index, region, cls, np.full(n, -1), phrase, mu, vc_share, trade_kind, core=False
    )


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


MONEY = ("revenue", "main_revenue", "value_added", "rd_spend", "equity_raised", "exports")
FIRM_YEAR_COLUMNS: dict[str, str] = {
    "firm_id": "firm_id",
    "year": "year",
    "revenue": "revenue(yuan)",
    "main_revenue": "main_revenue(yuan)",
    "value_added": "value_added(yuan)",
    "employees": "employees(persons)",
    "rd_spend": "rd_spend(yuan)",
    "rd_staff": "rd_staff(persons)",
    "invention_patents": "invention_patents(count)",
    "equity_raised": "equity_raised(yuan)",
    "valuation_usd": "valuation_usd(usd)",
    "debt_ratio": "debt_ratio(fraction)",
    "net_margin": "net_margin(fraction)",
    "exports": "exports(yuan)",
    "market_share": "market_share(fraction)",
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


def _firm_year_table(
    ctx: Context, d: _Draw, m: _Measures, rng: np.random.Generator
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
    rd = rev * rd_int
    rd_staff = np.where(m.active, np.rint(m.employees * np.minimum(0.9, rd_int * 4)), 0)
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
    debt = rng.beta(5.5, 4.5, (n, t))
    margin = np.clip(rng.normal(0.05, 0.08, (n, t)), -0.5, 0.5)
    exports = np.where(
        exporter[:, None], rev * exp_share[:, None] * rng.uniform(0.3, 1.7, (n, t)), 0.0
    )
    years = np.asarray(ctx.years)
    market = cls["market_size"].to_numpy()[d.cls][:, None] * 1.05 ** (years[None, :] - 2020)
    share = np.minimum(1.0, rev / market)
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
        "synthetic": np.ones(len(fi), bool),
    }
    arrays = {
        FIRM_YEAR_COLUMNS[k]: (v if isinstance(v, pa.Array) else pa.array(v, from_pandas=True))
        for k, v in cols.items()
    }  # from_pandas: NaN (no valuation) → null
    return pa.table(arrays), fi


# --- calibration -------------------------------------------------------------------------------


def calibrate(ctx: Context, firms: pa.Table, rev: np.ndarray, active: np.ndarray) -> pd.DataFrame:
    """Rescale core revenues in place so Beijing cluster totals equal the targets.

    Clusters are taken in :data:`CALIBRATION_ORDER`; each rescales only its firms not yet
    rescaled, by ``(target − already fixed) / free`` per year. Returns the scale factors
    (``cluster, year, factor, fixed, free, target``).
    """
    from clusteratlas.classify import classify_firms
    from clusteratlas.model.plan import load_plan

    plan = load_plan(ctx.plan_id)
    frame = firms.select(["firm_id", "industry", "name", "scope"]).to_pandas()
    frame = frame.astype("string")
    membership = classify_firms(frame, plan)
    assert isinstance(membership, pd.DataFrame)
    pos = pd.Series(np.arange(len(frame)), index=frame["firm_id"].to_numpy())
    targets = ctx.cluster_targets.set_index(["cluster", "year"])["revenue"]
    fixed = np.zeros(len(frame), bool)
    rows = []
    plan_ids = {c.id for c in plan.clusters}
    for cluster in CALIBRATION_ORDER:
        if cluster not in plan_ids:
            continue
        ids = membership.loc[membership["cluster"] == cluster, "firm_id"].to_numpy()
        members = np.zeros(len(frame), bool)
        members[pos.loc[ids].to_numpy()] = True
        free = members & ~fixed
        for j, year in enumerate(ctx.years):
            target = float(targets[(cluster, year)])
            fixed_sum = float(rev[members & fixed, j].sum())
            free_sum = float(rev[free, j].sum())
            if free_sum <= 0 or target <= fixed_sum:
                raise ClusterAtlasError(
                    f"synth: cannot calibrate {cluster} in {year}: target {target:.4g} yuan, "
                    f"already fixed by nested clusters {fixed_sum:.4g}, free {free_sum:.4g} "
                    f"(registry too small or calibration order wrong)"
                )
            factor = (target - fixed_sum) / free_sum
            rev[free, j] *= factor
            rows.append(
                {
                    "cluster": cluster,
                    "year": year,
                    "factor": factor,
                    "fixed": fixed_sum,
                    "free": free_sum,
                    "target": target,
                    "firms": int(members[:,].sum()),
                }
            )
        fixed |= members
    return pd.DataFrame(rows)


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
    if chosen.sum() != k:
        raise ClusterAtlasError(
            f"synth: only {int(chosen.sum())} firms can carry a tag, {k} needed"
        )
    return chosen


def _tags(
    ctx: Context, d: _Draw, m: _Measures, rng: np.random.Generator
) -> tuple[pa.Table, np.ndarray]:
    n = len(d.index)
    years = ctx.years
    targets = ctx.tag_targets.set_index(["tag", "year"])["count"]
    s_unicorn = rng.standard_normal(n) + 0.5 * (d.z - d.z.mean()) / d.z.std()
    s_zjtx = rng.standard_normal(n)
    s_champ = d.z + 0.3 * rng.standard_normal(n)
    manufacturing = ctx.classes["manufacturing"].to_numpy(bool)[d.cls]
    out_firm: list[np.ndarray] = []
    out_year: list[np.ndarray] = []
    out_tag: list[np.ndarray] = []
    for j, year in enumerate(years):
        act = m.active[:, j]
        unlisted = act & ~d.listed
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
        sme = m.employees[:, j] < 1000
        zjtx = _rank_pick(
            s_zjtx,
            unlisted & ~uni & ~champ & sme,
            int(targets[("zjtx", year)]),
            unlisted & ~uni & ~champ,
        )
        lg = _rank_pick(s_zjtx, zjtx, int(targets[("little_giant", year)]), zjtx)
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
    fi = np.concatenate(out_firm) if out_firm else np.zeros(0, np.int64)
    ids = firm_ids(d.index).take(pa.array(fi, pa.int64()))
    return pa.table(
        {
            "firm_id": ids,
            "year": pa.array(np.concatenate(out_year) if out_year else [], pa.int32()),
            "tag": pa.array(np.concatenate(out_tag) if out_tag else [], pa.string()),
            "source": pa.array(np.full(len(fi), "certified"), pa.string()),
            "synthetic": pa.array(np.ones(len(fi), bool), pa.bool_()),
        }
    ), fi


def generate_core(ctx: Context) -> tuple[_Tables, pd.DataFrame]:
    """The calibrated, tagged Beijing cluster firms and the calibration factors."""
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 1]))
    d = _draw_core(ctx, rng)
    firms = _firm_frame(ctx, d)
    rev, active = _revenue(ctx, d, rng)
    factors = calibrate(ctx, firms, rev, active)
    m = _measures(ctx, d, rev, active, rng)
    tags, tag_pos = _tags(ctx, d, m, rng)
    fy, fy_pos = _firm_year_table(ctx, d, m, rng)
    return _Tables(firms, fy, fy_pos, tags, tag_pos), factors


def generate_block(ctx: Context, block: int) -> _Tables:
    """Remainder block ``block`` (firms ``n_core + block*BLOCK`` …)."""
    d = _draw_block(ctx, block)
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 4, block]))
    firms = _firm_frame(ctx, d)
    rev, active = _revenue(ctx, d, rng)
    m = _measures(ctx, d, rev, active, rng)
    fy, fy_pos = _firm_year_table(ctx, d, m, rng)
    return _Tables(firms, fy, fy_pos)


def n_blocks(ctx: Context) -> int:
    """Number of remainder blocks."""
    return -(-(ctx.n_firms - ctx.n_core) // BLOCK)


def iter_blocks(ctx: Context, start: int = 0, stop: int | None = None) -> Iterator[_Tables]:
    """Remainder blocks ``start`` … ``stop - 1`` in order."""
    for b in range(start, n_blocks(ctx) if stop is None else stop):
        yield generate_block(ctx, b)
