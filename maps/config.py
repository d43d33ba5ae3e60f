"""Settings of the map services: the project settings plus what only the web app needs."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, ValidationError, model_validator

from gis.access.roles import Role
from gis.errors import ConfigurationError
from gis.settings import Settings

#: Signature algorithms accepted for SSO tokens unless configured otherwise (never ``none``).
DEFAULT_JWT_ALGORITHMS = ["RS256", "ES256"]


class MapsSettings(Settings):
    """Project settings plus the map services' own (same ``IOC_`` environment prefix)."""

    tile_cache_mb: int = Field(default=256, ge=0, description="Tile cache size; 0 turns it off.")
    #: Also keep tiles in the database's shared cache (``layers.tile_cache``), seen by every
    #: worker and app instance on this database; the in-process cache (``tile_cache_mb``) stays
    #: in front of it when both are on.
    tile_cache_shared: bool = False
    #: Budget of the shared cache (gzip bytes); the oldest fills beyond it are deleted.
    tile_cache_shared_mb: int = Field(default=1024, ge=1)
    pool_min: int = Field(default=2, ge=1)
    pool_max: int = Field(default=10, ge=1)
    #: How long a request waits for a free database connection before a 503 (under load,
    #: requests queue rather than fail).
    pool_wait_s: float = Field(default=30.0, gt=0)
    #: Data directory holding rasters (land cover COG); default: the repository's data/.
    data_dir: str | None = None
    #: Listen for NOTIFY (cache invalidation and /events); off only for special benchmarks.
    listen: bool = True

    # --- authentication -------------------------------------------------------------------
    #: API-key look-ups (valid and invalid) are cached this long: a revoked key or user stops
    #: working within this many seconds; 0 checks the database on every request.
    auth_cache_ttl_s: float = Field(default=30.0, ge=0)
    #: HTTP Basic (user name + API key, for QGIS) over plain HTTP in production: refused unless
    #: this is set (e.g. a closed network without TLS); over https, or in development, accepted.
    basic_over_http: bool = False
    #: SSO token key: an HS secret, a PEM public key, or ``file:<path>`` to a PEM or JWKS file.
    #: Unset: bearer tokens other than API keys are refused (401).
    jwt_key: str | None = None
    jwt_algorithms: list[str] = Field(default_factory=lambda: list(DEFAULT_JWT_ALGORITHMS))
    jwt_issuer: str | None = None
    #: Required when ``jwt_key`` is set (a token minted for another application is refused).
    jwt_audience: str | None = None
    #: Dotted path of the claim holding the SSO roles (``realm_access.roles`` for Keycloak).
    jwt_role_claim: str = "roles"
    #: SSO role → our role, e.g. ``{"cb_diachinh": "land"}``; unmapped SSO roles are ignored.
    jwt_role_map: dict[str, Role] = Field(default_factory=dict)
    #: Clock skew tolerated on ``exp``/``nbf``/``iat``, seconds.
    jwt_leeway: int = Field(default=30, ge=0, le=600)
    #: Lifetime of a page session cookie (signed with ``secret_key``), hours.
    session_hours: float = Field(default=8.0, gt=0, le=24)

    # --- browser security -----------------------------------------------------------------
    #: Origins allowed to call the API from another site's pages (CORS); none by default.
    cors_origins: list[str] = Field(default_factory=list)
    #: CSP ``frame-ancestors``: who may embed the pages (the IOC wall's host, for example).
    frame_ancestors: str = "'self'"

    @model_validator(mode="after")
    def _check_web_security(self) -> MapsSettings:
        """Refuse an SSO key without an audience and a wildcard CORS origin."""
        if self.jwt_key and not self.jwt_audience:
            raise ValueError("IOC_JWT_AUDIENCE is required when IOC_JWT_KEY is set")
        if any(alg.lower() == "none" for alg in self.jwt_algorithms):
            raise ValueError("IOC_JWT_ALGORITHMS may not contain 'none'")
        if "*" in self.cors_origins:
            raise ValueError("IOC_CORS_ORIGINS may not be '*' (credentials are allowed)")
        return self


@lru_cache(maxsize=1)
def get_maps_settings() -> MapsSettings:
    """The process-wide map settings, read from the environment on first use."""
    try:
        return MapsSettings()
    except ValidationError as exc:
        # One readable line per problem, no pydantic URL noise (the CLI prints it as is).
        problems = "; ".join(str(err.get("msg", "")).removeprefix("Value error, ")
                             for err in exc.errors())  # fmt: skip
        raise ConfigurationError(f"invalid configuration: {problems}") from None
