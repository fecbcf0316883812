"""The base of every API model: validators are built on first use, not when the module loads.

An API function imports dozens of models and uses a few per request; building them all at import
was most of its own cold start (pydantic's schema generation, and email-validator for EmailStr).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    model_config = ConfigDict(defer_build=True)
