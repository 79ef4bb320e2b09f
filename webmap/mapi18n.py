"""Translated labels the map's JavaScript needs (layer names, popup fields, code values)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from facilities.kinds import KINDS
from placenames.categories import CATEGORIES
from placenames.categories import label as category_label

#: Properties shown in each layer's popup, in order.
FACTS = {
    "divisions": ["code", "level", "kind", "population"],
    "names": ["category_code", "status", "division_code"],
    "signs": ["code", "kind", "house_number", "condition"],
    "boundary_lines": ["code", "level", "left_name", "right_name", "length_km"],
    "markers": ["marker_type", "status", "material"],
    "facilities": ["kind", "status", "beds", "address", "opening_hours"],
}


def map_labels(locale: str) -> dict[str, Any]:
    """All labels for ``static/js/publicmap.js``, in the current language."""
    kinds = {k.code: (k.name_zh if locale == "zh" else k.name_en) for k in KINDS}
    groups: dict[str, list[str]] = {}
    for k in KINDS:
        groups.setdefault(k.group, []).append(k.code)
    group_labels = {
        "elderly": _("elderly care"),
        "community": _("community services"),
        "children": _("children"),
        "welfare": _("welfare"),
        "assistance": _("relief and assistance"),
        "services": _("marriage registration"),
        "funeral": _("funeral services"),
        "charity": _("charity"),
        "lottery": _("welfare lottery"),
    }
    return {
        "facility_groups": [
            {"group": g, "label": group_labels.get(g, g), "kinds": codes} for g, codes in groups.items()
        ],
        "offline": _("Offline basemap (our own layers)"),
        "tianditu": _("Tianditu"),
        "gaode": _("Gaode / Amap (GCJ-02)"),
        "layers": {
            "divisions": _("Divisions"),
            "names": _("Standard names"),
            "signs": _("Signs"),
            "boundary_lines": _("Boundary lines"),
            "markers": _("Boundary markers"),
            "facilities": _("Civil-affairs facilities"),
        },
        "facts": FACTS,
        "fields": {
            "code": _("Code"),
            "level": _("Level"),
            "kind": _("Kind"),
            "population": _("Residents"),
            "category_code": _("Category"),
            "status": _("Status"),
            "division_code": _("Division"),
            "house_number": _("House number"),
            "condition": _("Condition"),
            "left_name": _("Left party"),
            "right_name": _("Right party"),
            "length_km": _("Length (km)"),
            "marker_type": _("Marker type"),
            "material": _("Material"),
            "beds": _("Beds"),
            "address": _("Address"),
            "opening_hours": _("Opening hours"),
        },
        "values": {
            "status": {
                "approved": _("approved"),
                "announced": _("announced"),
                "running": _("running"),
                "under_construction": _("under construction"),
                "planned": _("planned"),
                "intact": _("intact"),
                "damaged": _("damaged"),
                "missing": _("missing"),
            },
            "condition": {
                "good": _("good"),
                "worn": _("worn"),
                "damaged": _("damaged"),
                "missing": _("missing"),
            },
            "category_code": {code: category_label(code) for code in CATEGORIES},
            "level": {
                "district": _("district"),
                "town": _("town / street"),
                "community": _("community"),
                "village": _("village"),
                "provincial": _("provincial"),
                "city": _("city"),
            },
            "kind": {
                **kinds,
                "street": _("street sign"),
                "house_number": _("house-number plate"),
                "building": _("building plate"),
                "unit": _("unit plate"),
                "village": _("village sign"),
                "bridge": _("bridge sign"),
                "scenic": _("scenic sign"),
            },
        },
    }
