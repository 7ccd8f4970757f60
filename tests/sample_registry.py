"""A small hand-built registry (firms, firm-years) shared by chain tests; not real firms.

Revenue in yuan. Beijing (11xxxx) has IC design and a wafer fab; Shanghai (310115) and Tianjin
(120116) have packaging/testing, equipment and a fab.
"""

from __future__ import annotations

import pandas as pd

FIRMS = pd.DataFrame(
    [
        ("b1", "110108", "6520", "北京甲芯微电子有限公司", "集成电路设计；技术开发"),
        ("b2", "110108", "6520", "北京乙芯科技有限公司", "集成电路设计"),
        ("b3", "110115", "3973", "北京丙半导体制造有限公司", "集成电路制造"),
        ("b4", "110105", "6513", "北京丁软件有限公司", "应用软件开发"),
        ("b5", "110108", "6520", "北京戊芯有限公司", "集成电路设计"),
        ("s1", "310115", "3973", "上海甲集成电路有限公司", "集成电路制造；封装测试"),
        ("s2", "310115", "3562", "上海乙半导体设备有限公司", "半导体设备制造"),
        ("t1", "120116", "3979", "天津甲电子有限公司", "芯片封装测试服务"),
        ("t2", "120116", "3670", "天津乙汽车零部件有限公司", "汽车零部件制造"),
    ],
    columns=["firm_id", "region", "industry", "name", "scope"],
)
FIRM_YEARS = pd.DataFrame(
    [
        # firm, year, revenue, rd_spend, invention_patents
        ("b1", 2023, 8e8, 1e8, 10),
        ("b1", 2024, 1.2e9, 1.5e8, 12),
        ("b2", 2023, 2e8, 1e7, 1),
        ("b2", 2024, 3e8, 2e7, 2),
        ("b3", 2023, 4e9, 2e8, 30),
        ("b3", 2024, 5e9, 2.5e8, 35),
        ("b4", 2023, 1e9, 5e7, 3),
        ("b4", 2024, 1e9, 5e7, 3),
        ("b5", 2024, 5e8, 1e8, 5),
        ("s1", 2023, 9e9, 4e8, 50),
        ("s1", 2024, 1e10, 5e8, 60),
        ("s2", 2023, 1e9, 2e8, 20),
        ("s2", 2024, 2e9, 3e8, 25),
        ("t1", 2023, 5e8, 1e7, 1),
        ("t1", 2024, 6e8, 2e7, 2),
        ("t2", 2024, 3e9, 3e7, 2),
    ],
    columns=["firm_id", "year", "revenue", "rd_spend", "invention_patents"],
)
