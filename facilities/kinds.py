"""The civil-affairs facility kinds named in the 2021-2025 plan, with their per-kind rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FacilityKind:
    """One facility kind: code, Chinese and English names, group and default service rule."""

    code: str
    name_zh: str
    name_en: str
    group: str
    has_beds: bool = False
    has_floor_area: bool = False
    service_radius_m: float | None = None
    service_minutes: float | None = None


KINDS: tuple[FacilityKind, ...] = (
    FacilityKind(
        "home_care_station",
        "社区居家养老服务站（日间照料中心）",
        "Community home-care station (day care)",
        "elderly",
        has_beds=True,
        service_radius_m=1000,
        service_minutes=15,
    ),
    FacilityKind(
        "street_elderly_center",
        "街道养老综合服务中心",
        "Street elderly-care service centre",
        "elderly",
        has_beds=True,
        service_radius_m=1000,
        service_minutes=15,
    ),
    FacilityKind(
        "rural_elderly_center",
        "农区养老服务中心",
        "Rural elderly-care service centre",
        "elderly",
        has_beds=True,
        service_minutes=30,
    ),
    FacilityKind(
        "mutual_aid_home",
        "互助养老幸福院",
        "Mutual-aid elderly home",
        "elderly",
        has_beds=True,
        service_minutes=30,
    ),
    FacilityKind("elderly_institution", "养老机构", "Elderly-care institution", "elderly", has_beds=True),
    FacilityKind(
        "community_service",
        "社区综合服务设施",
        "Community service facility",
        "community",
        has_floor_area=True,
        service_radius_m=1000,
    ),
    FacilityKind("social_work_station", "社会工作服务站", "Social-work station", "community"),
    FacilityKind("org_incubator", "社会组织孵化场所", "Social-organisation incubation site", "community"),
    FacilityKind("volunteer_site", "志愿服务站点", "Volunteer service site", "community"),
    FacilityKind("minor_protection", "未成年人保护机构", "Minor-protection institution", "children"),
    FacilityKind("child_welfare", "儿童福利院", "Children's welfare home", "children", has_beds=True),
    FacilityKind(
        "mental_health_welfare",
        "精神卫生福利设施",
        "Mental-health welfare facility",
        "welfare",
        has_beds=True,
    ),
    FacilityKind(
        "rescue_station", "救助管理站", "Relief and assistance station", "assistance", has_beds=True
    ),
    FacilityKind("marriage_registry", "婚姻登记处", "Marriage registry", "services"),
    FacilityKind("funeral_home", "殡仪馆", "Funeral home", "funeral"),
    FacilityKind("ash_repository", "公益性骨灰安放设施", "Public columbarium", "funeral"),
    FacilityKind("charity_supermarket", "慈善超市", "Charity supermarket", "charity"),
    FacilityKind("welfare_lottery", "福利彩票销售站点", "Welfare-lottery outlet", "lottery"),
    FacilityKind("meal_point", "幸福居助餐点", "Community meal point", "elderly", service_radius_m=500),
    FacilityKind(
        "elderly_complex",
        "嵌入式养老服务综合体",
        "Embedded elderly-care complex",
        "elderly",
        has_beds=True,
        service_radius_m=1000,
    ),
)

KIND_CODES: tuple[str, ...] = tuple(k.code for k in KINDS)
BY_CODE: dict[str, FacilityKind] = {k.code: k for k in KINDS}
OPERATOR_TYPES = ("public", "private", "public_private", "private_subsidised")
OPERATOR_TYPES_ZH = {
    "public": "公办",
    "private": "民办",
    "public_private": "公建民营",
    "private_subsidised": "民办公助",
}
FACILITY_STATUSES = ("running", "under_construction", "planned", "closed")

#: Kinds whose beds the plan counts as elderly-care beds (indicators 4 and 5). The plan's 2020
#: figure "养老机构、社区居家养老服务设施共有床位3354张" adds the institutions' beds and the beds of
#: the community and rural home-care facilities, so both are counted here.
ELDERLY_BED_KINDS: tuple[str, ...] = (
    "elderly_institution",
    "elderly_complex",
    "home_care_station",
    "street_elderly_center",
    "rural_elderly_center",
    "mutual_aid_home",
)
#: Of those, the elderly-care institutions (养老机构): the indicator's title and 2025 target speak of
#: their beds; the rest are the community and rural home-care facilities' beds.
INSTITUTION_BED_KINDS: tuple[str, ...] = ("elderly_institution",)
#: Kinds that make an urban community "served" (indicator 3).
URBAN_ELDERLY_KINDS: tuple[str, ...] = ("home_care_station", "street_elderly_center", "elderly_complex")
#: Kinds that make a village "served" (rural coverage, chapter 1 of the plan).
RURAL_ELDERLY_KINDS: tuple[str, ...] = ("rural_elderly_center", "mutual_aid_home", "home_care_station")
