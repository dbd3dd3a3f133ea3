"""Literal aliases for every choice option (one place, shared by signatures and stubs)."""

from __future__ import annotations

from typing import Literal, Union

VcovName = Literal["iid", "hetero", "HC1", "HC3", "CR1", "CRV1", "CR3", "CRV3"]
VcovSpec = Union[VcovName, dict]
FixefK = Literal["none", "nested", "full"]
ClusterDf = Literal["min", "conventional"]
PowerEstimatorName = Literal["static_twfe", "att_gt", "sun_abraham", "imputation", "sdid", "synthetic_control"]
SdidSeName = Literal["placebo", "bootstrap", "jackknife"]
ScUnitName = Literal["only", "largest", "smallest", "random"]
MdeSearchName = Literal["none", "analytic", "bisection"]
UnitSizesName = Literal["equal", "municipalities"]
ControlGroup = Literal["never_treated", "not_yet_treated"]
DidMethod = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["varying", "universal"]
BootstrapWeights = Literal["mammen", "rademacher", "webb", "normal"]
Aggregation = Literal["simple", "dynamic", "group", "calendar"]
