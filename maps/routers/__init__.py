"""HTTP routers of the map services; each calls data-layer functions, never builds SQL."""
