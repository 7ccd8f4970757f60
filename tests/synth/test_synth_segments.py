"""Core firms classify (with the plan's classifier) into the cluster their segment aims at."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusteratlas.synth import generator as g


def test_segments_land_in_their_clusters() -> None:
    from clusteratlas.classify import classify_firms
    from clusteratlas.model.plan import load_plan

    ctx = g.build_context(g.min_firms([2018]), 4, [2018])
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 1]))
    draw = g._draw_core(ctx, rng)
    firms = g._firm_frame(ctx, draw).select(["firm_id", "industry", "name", "scope"])
    frame = firms.to_pandas().astype("string")
    members = classify_firms(frame, load_plan())
    assert isinstance(members, pd.DataFrame)
    segment = pd.Series([g.SEGMENTS[i].id for i in draw.segment], index=frame["firm_id"])
    members["segment"] = members["firm_id"].map(segment)
    hits = members[members["cluster"] == members["segment"]].groupby("segment").size()
    share = (hits / segment.value_counts()).fillna(0)
    assert set(share.index) == {s.id for s in g.SEGMENTS}
    assert (share >= 0.9).all(), share.sort_values().head().to_dict()
    assert frame["firm_id"].isin(members["firm_id"]).all()  # no core firm outside the plan
    # keyword-led clusters are found by keyword rules, i.e. the generated text works
    ai_rules = members[(members["cluster"] == "ai")]["rule"]
    assert ai_rules.str.startswith("keyword:").all() and len(ai_rules) > 50
