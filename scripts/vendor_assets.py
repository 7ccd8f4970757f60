"""Copy chart assets from node_modules into the package's static folder (run by setup.sh).

ECharts (Apache-2.0), the China/Beijing/Tianjin/Hebei GeoJSON of ``china-geojson`` (antvis,
MIT) and Swagger UI (``swagger-ui-dist``, Apache-2.0, for ``/api/docs``) are taken from the npm
registry at build time; the running app and the
self-contained reports never touch the network. A ``VENDOR.md`` beside the files records
package, version and licence of each.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
DEST = ROOT / "src" / "clusteratlas" / "web" / "static" / "vendor"

FILES = {
    "echarts": [("dist/echarts.min.js", "echarts.min.js")],
    "china-geojson": [
        ("src/geojson/china.json", "maps/china.json"),
        ("src/geojson/bei_jing_geo.json", "maps/beijing.json"),
        ("src/geojson/tian_jin_geo.json", "maps/tianjin.json"),
        ("src/geojson/he_bei_geo.json", "maps/hebei.json"),
    ],
    "swagger-ui-dist": [
        ("swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
        ("swagger-ui.css", "swagger-ui/swagger-ui.css"),
        ("favicon-32x32.png", "swagger-ui/favicon-32x32.png"),
    ],
}


def main() -> int:
    """Copy the files; exit 1 with a message if ``npm install`` has not been run."""
    lines = [
        "# Vendored front-end assets",
        "",
        "| package | version | licence | files |",
        "|---|---|---|---|",
    ]
    for package, files in FILES.items():
        meta_path = NODE / package / "package.json"
        if not meta_path.exists():
            print(f"vendor_assets: {meta_path} missing; run `npm install` first", file=sys.stderr)
            return 1
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        licence = meta.get("license") or meta.get("licenses") or "see package"
        for source, target in files:
            out = DEST / target
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(NODE / package / source, out)
        names = ", ".join(t for _, t in files)
        lines.append(f"| {package} | {meta['version']} | {licence} | {names} |")
    (DEST / "VENDOR.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"vendor_assets: copied to {DEST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
