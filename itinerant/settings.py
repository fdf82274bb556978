"""Run-time settings, from the command line, the environment, or defaults.

Settings (environment variable, type, default):

- ``cache_dir`` (``ITINERANT_CACHE_DIR``, path, the user cache folder + ``itinerant``):
  where downloaded and parsed road networks are cached.
- ``offline`` (``ITINERANT_OFFLINE``, bool, False): never try to download a road network.
- ``output_dir`` (``ITINERANT_OUTPUT_DIR``, path, ``maps``): root of the plan outputs,
  one folder per scenario and week.

Precedence: command-line options > environment > defaults.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


def _default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("itinerant", appauthor=False))


class Settings(BaseSettings):
    """Settings of a run (see the module docstring for each one)."""

    model_config = SettingsConfigDict(env_prefix="ITINERANT_", extra="forbid", frozen=True)

    cache_dir: Path = Field(default_factory=_default_cache_dir)
    offline: bool = False
    output_dir: Path = Path("maps")
