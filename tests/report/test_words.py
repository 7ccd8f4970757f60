def test_every_packaged_fact_has_a_label_in_both_languages() -> None:
    """The facts appendix and `status --facts` name indicators in words (the official facts
    brought 80 indicators that showed as raw ids in the Chinese report)."""
    from clusteratlas import refdata
    from clusteratlas.report.words import indicator_label

    indicators = sorted(set(refdata.beijing_facts()["indicator"].astype(str)))
    for lang in ("zh", "en"):
        unnamed = [i for i in indicators if indicator_label(i, lang) == i]
        assert unnamed == [], (lang, unnamed[:10])
