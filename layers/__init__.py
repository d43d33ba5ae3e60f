"""Layer catalog and the queries behind tiles, features and rasters."""
