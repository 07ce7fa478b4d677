"""sensequant.data.providers.breeze: public face."""

from sensequant.data.providers.breeze.provider import BreezeProvider
from sensequant.data.providers.breeze.sdk import (
    ALLOWED_METHODS,
    FORBIDDEN_METHODS,
    BreezeReadOnly,
    load_sdk,
    redact,
)
from sensequant.data.providers.breeze.secmaster import (
    MasterRow,
    SecurityMaster,
    parse_nse_scrip_master,
)

__all__ = [
    "ALLOWED_METHODS",
    "FORBIDDEN_METHODS",
    "BreezeProvider",
    "BreezeReadOnly",
    "MasterRow",
    "SecurityMaster",
    "load_sdk",
    "parse_nse_scrip_master",
    "redact",
]
